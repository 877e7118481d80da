-- materialized: upsert chat, session_id in touched_sessions
-- Participation split by platform (a chat can hold Mastodon and X posts together): one row per author, session
-- and platform, so figures can be read for one platform. is_newcomer is the person's first session in the chat.
-- An incremental build remakes the touched sessions only.
WITH in_scope AS (
    SELECT * FROM chat_posts WHERE session_id IS NOT NULL AND last_built() = 0
    UNION ALL
    SELECT c.*
    FROM chat_posts c
    SEMI JOIN touched_sessions t ON t.chat = c.chat AND t.session_id = c.session_id
    WHERE last_built() > 0
)
SELECT
    c.chat, c.session_id, c.author_id, p.platform,
    count(*) AS posts,
    count(*) FILTER (WHERE c.in_reply_to_author_id IS NOT NULL AND c.in_reply_to_author_id <> c.author_id)
        AS replies_sent,
    any_value(pa.is_newcomer) AS is_newcomer
FROM in_scope c
JOIN posts p USING (post_id)
JOIN participation pa ON pa.chat = c.chat AND pa.session_id = c.session_id AND pa.author_id = c.author_id
GROUP BY c.chat, c.session_id, c.author_id, p.platform
