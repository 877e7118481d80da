-- materialized: incremental
-- One row per tweet version in the API v1.1 shape: twarc 1 / v1.1 JSONL ('tweet_v1', with the retweeted and
-- quoted tweets they embed as context) and the tweets of an X account archive ('archive_tweet', whose author is
-- the account holder the importer attached). v1.1 has no conversation id.
WITH raw AS (
    SELECT raw_id, kind, origin, fetched_at, is_context, payload::JSON AS j
    FROM new_raw_records
    WHERE (source = 'twarc' AND kind = 'tweet_v1') OR (source = 'twitter-archive' AND kind = 'archive_tweet')
), tweets AS (
    SELECT raw_id, origin, fetched_at, is_context, j AS t, NULL::JSON AS account, 7 AS richness
    FROM raw WHERE kind = 'tweet_v1'
    UNION ALL
    SELECT raw_id, origin, fetched_at, TRUE, j->'$.retweeted_status', NULL, 6
    FROM raw WHERE kind = 'tweet_v1' AND json_type(j, '$.retweeted_status') = 'OBJECT'
    UNION ALL
    SELECT raw_id, origin, fetched_at, TRUE, j->'$.quoted_status', NULL, 6
    FROM raw WHERE kind = 'tweet_v1' AND json_type(j, '$.quoted_status') = 'OBJECT'
    UNION ALL
    SELECT raw_id, origin, fetched_at, is_context,
        CASE WHEN json_type(j, '$.element.tweet') = 'OBJECT' THEN j->'$.element.tweet' ELSE j->'$.element' END,
        j->'$.account', 4
    FROM raw WHERE kind = 'archive_tweet'
), typed AS (
    SELECT raw_id, origin, fetched_at, is_context, richness, x_v1_tweet(t) AS t,
        json_transform(account, '{"accountId": "VARCHAR", "username": "VARCHAR", "accountDisplayName": "VARCHAR",
                                  "createdAt": "VARCHAR", "bio": "VARCHAR"}') AS acct
    FROM tweets
), fields AS (
    SELECT *,
        coalesce(t.extended_tweet.full_text, t.full_text, t.text) AS body,
        coalesce(t.extended_tweet.entities, t.entities) AS ents,
        coalesce(t.user.id_str, acct.accountId) AS uid,
        coalesce(t.user.screen_name, acct.username) AS handle
    FROM typed
    WHERE t.id_str IS NOT NULL
)
SELECT
    raw_id,
    'x' AS platform,
    origin,
    t.id_str AS local_id,
    'x:' || t.id_str AS post_id,
    'https://x.com/' || coalesce(handle, 'i/web') || '/status/' || t.id_str AS url,
    x_v1_time(t.created_at) AS created_at,
    NULL::TIMESTAMPTZ AS edited_at,
    fetched_at,
    uid AS author_local_id,
    uid AS author_id,
    handle AS author_handle,
    coalesce(t.user.name, acct.accountDisplayName) AS author_display_name,
    CASE WHEN handle IS NOT NULL THEN 'https://x.com/' || handle END AS author_url,
    coalesce(x_v1_time(t.user.created_at), TRY_CAST(acct.createdAt AS TIMESTAMPTZ)) AS author_created_at,
    NULL::BOOLEAN AS author_bot,
    NULL::BOOLEAN AS author_noindex,
    NULL::BOOLEAN AS author_discoverable,
    coalesce(t.user.description, acct.bio) AS author_note,
    NULL::VARCHAR AS html,
    x_text(body) AS text,
    t.lang AS lang,
    'public' AS visibility,
    t.in_reply_to_status_id_str AS in_reply_to_local_id,
    'x:' || t.in_reply_to_status_id_str AS in_reply_to_post_id,
    t.in_reply_to_user_id_str AS in_reply_to_author_local_id,
    t.in_reply_to_user_id_str AS in_reply_to_author_id,
    NULL::VARCHAR AS conversation_id,
    coalesce('x:' || t.retweeted_status.id_str, CASE WHEN richness = 4 THEN x_text_retweet(body) END)
        AS boost_of_post_id,
    'x:' || t.quoted_status_id_str AS quote_of_post_id,
    coalesce(list_transform(ents.hashtags, lambda h: lower(h.text)), []) AS hashtags,
    coalesce(list_filter(list_transform(ents.user_mentions, lambda m: m.id_str), lambda m: m IS NOT NULL), [])
        AS mentions,
    t.reply_count AS replies_count,
    t.retweet_count AS boosts_count,
    t.favorite_count AS favourites_count,
    is_context,
    richness
FROM fields
