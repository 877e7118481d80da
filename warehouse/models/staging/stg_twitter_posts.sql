-- materialized: incremental
-- One row per tweet version from the X API v2: response pages (live capture 'twitter' and twarc2 'page'), whose
-- tweets are in `data` and, as context, in `includes.tweets`, with authors in `includes.users`; and twarc2
-- flattened tweets ('tweet_flat'), which carry their author and the tweets they reference inline.
-- An edit on X is a new tweet id; every id in edit_history_tweet_ids is one post, keyed by the first (original).
WITH raw AS (
    SELECT raw_id, kind, origin, fetched_at, is_context, payload::JSON AS j
    FROM new_raw_records
    WHERE (source IN ('twitter', 'twarc') AND kind = 'page') OR (source = 'twarc' AND kind = 'tweet_flat')
), page_users AS (
    SELECT raw_id, x_user(u) AS u
    FROM (SELECT raw_id, unnest(json_extract(j, '$.includes.users[*]')) AS u FROM raw WHERE kind = 'page')
), tweets AS (
    -- a page's own tweets (data is a list, or one object for a single lookup)
    SELECT raw_id, origin, fetched_at, is_context, t, NULL::JSON AS author, 10 AS richness
    FROM (
        SELECT raw_id, origin, fetched_at, is_context,
            unnest(CASE json_type(j, '$.data')
                WHEN 'ARRAY' THEN json_extract(j, '$.data[*]')
                WHEN 'OBJECT' THEN [j->'$.data']
                ELSE []::JSON[] END) AS t
        FROM raw WHERE kind = 'page'
    )
    UNION ALL
    -- tweets a page includes because its tweets reply to, quote or retweet them
    SELECT raw_id, origin, fetched_at, TRUE, t, NULL::JSON, 9
    FROM (
        SELECT raw_id, origin, fetched_at, unnest(json_extract(j, '$.includes.tweets[*]')) AS t
        FROM raw WHERE kind = 'page'
    )
    UNION ALL
    SELECT raw_id, origin, fetched_at, is_context, j, j->'$.author', 10
    FROM raw WHERE kind = 'tweet_flat'
    UNION ALL
    -- twarc's flattening inlines each referenced tweet, with its author
    SELECT raw_id, origin, fetched_at, TRUE, r, r->'$.author', 8
    FROM (
        SELECT raw_id, origin, fetched_at, unnest(json_extract(j, '$.referenced_tweets[*]')) AS r
        FROM raw WHERE kind = 'tweet_flat'
    )
    WHERE r->>'$.text' IS NOT NULL
), typed AS (
    SELECT row_number() OVER () AS vid, raw_id, origin, fetched_at, is_context, richness,
        x_tweet(t) AS t, x_user(author) AS author, author IS NULL AS from_page,
        -- twarc's flattened mentions carry the user's id; a page's carry only the username
        json_extract(t, '$.entities.mentions[*]') AS raw_mentions
    FROM tweets
    WHERE t->>'$.id' IS NOT NULL
), with_author AS (
    SELECT ty.*, coalesce(ty.author, pu.u) AS a
    FROM typed ty
    LEFT JOIN page_users pu ON ty.from_page AND pu.raw_id = ty.raw_id AND pu.u.id = ty.t.author_id
    QUALIFY row_number() OVER (PARTITION BY ty.vid) = 1
), mentioned AS (
    SELECT m.vid, list(coalesce(m.mid, pu.u.id) ORDER BY m.pos) FILTER (WHERE coalesce(m.mid, pu.u.id) IS NOT NULL)
        AS mentions
    FROM (
        SELECT vid, raw_id, from_page, generate_subscripts(raw_mentions, 1) AS pos,
            unnest(raw_mentions)->>'$.id' AS mid, lower(unnest(raw_mentions)->>'$.username') AS uname
        FROM typed
    ) m
    LEFT JOIN page_users pu ON m.from_page AND m.mid IS NULL AND pu.raw_id = m.raw_id AND lower(pu.u.username) = m.uname
    GROUP BY m.vid
), resolved AS (
    SELECT w.*, coalesce(w.t.edit_history_tweet_ids[1], w.t.id) AS original_id,
        list_filter(w.t.referenced_tweets, lambda r: r.type = 'replied_to')[1].id AS parent_id,
        list_filter(w.t.referenced_tweets, lambda r: r.type = 'retweeted')[1].id AS retweeted_id,
        list_filter(w.t.referenced_tweets, lambda r: r.type = 'quoted')[1].id AS quoted_id,
        m.mentions
    FROM with_author w
    LEFT JOIN mentioned m USING (vid)
)
SELECT
    raw_id,
    'x' AS platform,
    origin,
    t.id AS local_id,
    'x:' || original_id AS post_id,
    'https://x.com/' || coalesce(a.username, 'i/web') || '/status/' || t.id AS url,
    CASE WHEN original_id <> t.id THEN x_id_time(original_id) ELSE TRY_CAST(t.created_at AS TIMESTAMPTZ) END
        AS created_at,
    CASE WHEN original_id <> t.id THEN TRY_CAST(t.created_at AS TIMESTAMPTZ) END AS edited_at,
    fetched_at,
    t.author_id AS author_local_id,
    coalesce(t.author_id, a.id) AS author_id,
    a.username AS author_handle,
    a.name AS author_display_name,
    CASE WHEN a.username IS NOT NULL THEN 'https://x.com/' || a.username END AS author_url,
    TRY_CAST(a.created_at AS TIMESTAMPTZ) AS author_created_at,
    NULL::BOOLEAN AS author_bot,
    NULL::BOOLEAN AS author_noindex,
    NULL::BOOLEAN AS author_discoverable,
    a.description AS author_note,
    NULL::VARCHAR AS html,
    x_text(t.text) AS text,
    t.lang AS lang,
    'public' AS visibility,
    parent_id AS in_reply_to_local_id,
    'x:' || parent_id AS in_reply_to_post_id,
    t.in_reply_to_user_id AS in_reply_to_author_local_id,
    t.in_reply_to_user_id AS in_reply_to_author_id,
    -- an edited thread root names itself as its conversation: use the original's id, which is the post's
    'x:' || CASE WHEN t.conversation_id = t.id THEN original_id ELSE t.conversation_id END AS conversation_id,
    'x:' || retweeted_id AS boost_of_post_id,
    'x:' || quoted_id AS quote_of_post_id,
    coalesce(list_transform(t.entities.hashtags, lambda h: lower(h.tag)), []) AS hashtags,
    coalesce(mentions, []) AS mentions,
    t.public_metrics.reply_count AS replies_count,
    t.public_metrics.retweet_count AS boosts_count,
    t.public_metrics.like_count AS favourites_count,
    is_context,
    richness
FROM resolved
