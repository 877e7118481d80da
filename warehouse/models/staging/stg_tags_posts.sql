-- materialized: incremental
-- One row per row of a TAGS archive sheet ('tags_row'): the poorest route a tweet can come by (no counts, no
-- conversation, retweets known only by their 'RT @handle:' text), so any other record of the tweet wins.
-- The importer already put the exact ids in id_str (from status_url) and the time in created_at_utc.
WITH rows AS (
    SELECT raw_id, origin, fetched_at, is_context, json_transform(payload, '{
        "id_str": "VARCHAR", "from_user": "VARCHAR", "from_user_id_str": "VARCHAR", "text": "VARCHAR",
        "created_at_utc": "VARCHAR", "in_reply_to_status_id_str": "VARCHAR", "in_reply_to_user_id_str": "VARCHAR",
        "entities_str": "VARCHAR"
    }') AS r
    FROM new_raw_records
    WHERE source = 'tags' AND kind = 'tags_row'
), typed AS (
    SELECT *, json_transform(TRY_CAST(r.entities_str AS JSON), '{
        "hashtags": [{"text": "VARCHAR"}], "user_mentions": [{"id_str": "VARCHAR"}]
    }') AS e
    FROM rows
    WHERE r.id_str IS NOT NULL
)
SELECT
    raw_id,
    'x' AS platform,
    origin,
    r.id_str AS local_id,
    'x:' || r.id_str AS post_id,
    'https://x.com/' || coalesce(r.from_user, 'i/web') || '/status/' || r.id_str AS url,
    TRY_CAST(r.created_at_utc AS TIMESTAMPTZ) AS created_at,
    NULL::TIMESTAMPTZ AS edited_at,
    fetched_at,
    r.from_user_id_str AS author_local_id,
    r.from_user_id_str AS author_id,
    r.from_user AS author_handle,
    NULL::VARCHAR AS author_display_name,
    CASE WHEN r.from_user IS NOT NULL THEN 'https://x.com/' || r.from_user END AS author_url,
    NULL::TIMESTAMPTZ AS author_created_at,
    NULL::BOOLEAN AS author_bot,
    NULL::BOOLEAN AS author_noindex,
    NULL::BOOLEAN AS author_discoverable,
    NULL::VARCHAR AS author_note,
    NULL::VARCHAR AS html,
    x_text(r.text) AS text,
    NULL::VARCHAR AS lang,
    'public' AS visibility,
    r.in_reply_to_status_id_str AS in_reply_to_local_id,
    'x:' || r.in_reply_to_status_id_str AS in_reply_to_post_id,
    r.in_reply_to_user_id_str AS in_reply_to_author_local_id,
    r.in_reply_to_user_id_str AS in_reply_to_author_id,
    NULL::VARCHAR AS conversation_id,
    x_text_retweet(r.text) AS boost_of_post_id,
    NULL::VARCHAR AS quote_of_post_id,
    -- entities_str may be missing (NA) or cut short by the sheet's cell limit: then read the tags from the text
    coalesce(
        list_transform(e.hashtags, lambda h: lower(h.text)),
        list_transform(regexp_extract_all(r.text, '#(\w+)', 1), lambda h: lower(h))
    ) AS hashtags,
    coalesce(list_filter(list_transform(e.user_mentions, lambda m: m.id_str), lambda m: m IS NOT NULL), [])
        AS mentions,
    NULL::BIGINT AS replies_count,
    NULL::BIGINT AS boosts_count,
    NULL::BIGINT AS favourites_count,
    is_context,
    2 AS richness
FROM typed
