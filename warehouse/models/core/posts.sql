-- materialized: upsert post_id
-- The canonical posts: one row per real post however many instances, files or routes it came by.
-- Text and edit time come from the latest edit; other fields from the richest version that has them; counts
-- as last seen. A deleted post keeps its place in threads but loses its text and HTML.
-- On an incremental build only the posts whose row may change are made again (see build.py, upsert): those with
-- new versions, whose parent status or parent's account was newly mapped (or mapped anew) from an instance-local
-- id, or whose deletion is new.
WITH changed AS (
    SELECT post_id FROM post_versions WHERE raw_id > last_built()
    UNION
    SELECT v.post_id
    FROM stg_mastodon_posts v
    JOIN changed_mastodon_status_ids n ON n.origin = v.origin AND n.local_id = v.in_reply_to_local_id
    WHERE last_built() > 0
    UNION
    SELECT v.post_id
    FROM stg_mastodon_posts v
    JOIN changed_mastodon_account_ids n ON n.origin = v.origin AND n.author_local_id = v.in_reply_to_author_local_id
    WHERE last_built() > 0
    UNION
    SELECT ids.post_id
    FROM stg_mastodon_deletes d
    JOIN mastodon_status_ids ids ON ids.origin = d.origin AND ids.local_id = d.local_id
    WHERE d.raw_id > last_built()
), changed_versions AS MATERIALIZED (
    -- few on an incremental build: read once (each read scans every version's columns)
    SELECT * FROM post_versions WHERE last_built() > 0 AND post_id IN (SELECT post_id FROM changed)
), versions AS NOT MATERIALIZED (
    SELECT * FROM post_versions WHERE last_built() = 0
    UNION ALL
    SELECT * FROM changed_versions
), resolved AS NOT MATERIALIZED (
    SELECT
        v.*,
        coalesce(v.in_reply_to_post_id, sid.post_id) AS parent_post_id,
        coalesce(v.in_reply_to_author_id, aid.author_id) AS parent_author_id
    FROM versions v
    LEFT JOIN mastodon_status_ids sid
        ON v.platform = 'mastodon' AND sid.origin = v.origin AND sid.local_id = v.in_reply_to_local_id
    LEFT JOIN mastodon_account_ids aid
        ON v.platform = 'mastodon' AND aid.origin = v.origin AND aid.author_local_id = v.in_reply_to_author_local_id
), counted AS (
    SELECT post_id, count(*) AS versions FROM versions GROUP BY post_id
), single AS (
    -- most posts were seen once: their one version is the post, and aggregating it (below) would give the same
    SELECT r.post_id, r.platform, r.url, r.created_at, r.author_id, r.lang, r.visibility,
        r.parent_post_id AS in_reply_to_post_id, r.parent_author_id AS in_reply_to_author_id,
        (r.in_reply_to_local_id IS NOT NULL OR r.in_reply_to_post_id IS NOT NULL) AS is_reply,
        r.conversation_id, r.boost_of_post_id, r.quote_of_post_id, r.hashtags, r.mentions,
        r.replies_count, r.boosts_count, r.favourites_count, [r.origin] AS seen_on, r.fetched_at AS first_seen_at,
        r.is_context, r.text, r.html, r.edited_at
    FROM resolved r
    JOIN counted c ON c.post_id = r.post_id AND c.versions = 1
), merged AS (
    SELECT
        post_id,
        arg_max(platform, richness) AS platform,
        arg_max(url, (richness, raw_id)) FILTER (WHERE url IS NOT NULL) AS url,
        min(created_at) AS created_at,
        arg_max(author_id, (richness, raw_id)) FILTER (WHERE author_id IS NOT NULL) AS author_id,
        arg_max(lang, (richness, raw_id)) FILTER (WHERE lang IS NOT NULL) AS lang,
        arg_max(visibility, (richness, raw_id)) FILTER (WHERE visibility IS NOT NULL) AS visibility,
        arg_max(parent_post_id, (richness, raw_id)) FILTER (WHERE parent_post_id IS NOT NULL) AS in_reply_to_post_id,
        arg_max(parent_author_id, (richness, raw_id)) FILTER (WHERE parent_author_id IS NOT NULL)
            AS in_reply_to_author_id,
        bool_or(in_reply_to_local_id IS NOT NULL OR in_reply_to_post_id IS NOT NULL) AS is_reply,
        arg_max(conversation_id, (richness, raw_id)) FILTER (WHERE conversation_id IS NOT NULL) AS conversation_id,
        arg_max(boost_of_post_id, (richness, raw_id)) FILTER (WHERE boost_of_post_id IS NOT NULL) AS boost_of_post_id,
        arg_max(quote_of_post_id, (richness, raw_id)) FILTER (WHERE quote_of_post_id IS NOT NULL) AS quote_of_post_id,
        arg_max(hashtags, (coalesce(edited_at, created_at), richness, raw_id)) AS hashtags,
        arg_max(mentions, (coalesce(edited_at, created_at), richness, raw_id)) AS mentions,
        arg_max(replies_count, (fetched_at, raw_id)) FILTER (WHERE replies_count IS NOT NULL) AS replies_count,
        arg_max(boosts_count, (fetched_at, raw_id)) FILTER (WHERE boosts_count IS NOT NULL) AS boosts_count,
        arg_max(favourites_count, (fetched_at, raw_id)) FILTER (WHERE favourites_count IS NOT NULL)
            AS favourites_count,
        list(DISTINCT origin ORDER BY origin) AS seen_on,
        min(fetched_at) AS first_seen_at,
        bool_and(is_context) AS is_context,
        -- the latest edit, as a narrow key; its text and HTML are fetched by a join below, so that no hash table or
        -- materialized CTE ever carries every version's text
        max(latest_key(edited_at, created_at, richness, fetched_at, raw_id)) AS latest_key
    FROM resolved
    WHERE post_id IN (SELECT post_id FROM counted WHERE versions > 1)
    GROUP BY post_id
), merged_posts AS (
    SELECT m.* EXCLUDE (latest_key), v.text, v.html, v.edited_at
    FROM merged m
    JOIN versions v
        ON v.post_id = m.post_id AND latest_key(v.edited_at, v.created_at, v.richness, v.fetched_at, v.raw_id) = m.latest_key
    QUALIFY row_number() OVER (PARTITION BY m.post_id) = 1  -- two versions alike in every key: either will do
), all_posts AS (
    SELECT * FROM single
    UNION ALL BY NAME
    SELECT * FROM merged_posts
)
SELECT
    m.post_id,
    m.platform,
    m.url,
    m.created_at,
    m.edited_at,
    d.deleted_at,
    m.author_id,
    CASE WHEN d.deleted_at IS NULL THEN m.text END AS text,
    CASE WHEN d.deleted_at IS NULL THEN m.html END AS html,
    m.lang,
    m.visibility,
    m.in_reply_to_post_id,
    m.in_reply_to_author_id,
    m.is_reply,
    m.conversation_id,
    m.boost_of_post_id,
    m.quote_of_post_id,
    m.hashtags,
    m.mentions,
    m.replies_count,
    m.boosts_count,
    m.favourites_count,
    m.seen_on,
    m.first_seen_at,
    m.is_context
FROM all_posts m
LEFT JOIN deletions d USING (post_id)
