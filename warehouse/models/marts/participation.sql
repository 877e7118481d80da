-- materialized: table chat, session_id, author_id
-- Who took part in which session: one row per author and session, with their posts and replies, and whether it
-- was their first session in this chat (a newcomer).
WITH in_sessions AS (
    SELECT * FROM chat_posts WHERE session_id IS NOT NULL
), sent AS (
    SELECT chat, session_id, author_id,
        count(*) AS posts,
        count(*) FILTER (WHERE in_reply_to_author_id IS NOT NULL AND in_reply_to_author_id <> author_id) AS replies_sent,
        count(*) FILTER (WHERE answers_question IS NOT NULL) AS answers,
        min(created_at) AS first_post_at
    FROM in_sessions
    GROUP BY ALL
), received AS (
    SELECT chat, session_id, in_reply_to_author_id AS author_id, count(*) AS replies_received
    FROM in_sessions
    WHERE in_reply_to_author_id <> author_id
    GROUP BY ALL
)
SELECT
    s.chat, s.session_id, se.session_number, s.author_id, s.posts, s.replies_sent,
    coalesce(r.replies_received, 0) AS replies_received, s.answers, s.first_post_at,
    row_number() OVER (PARTITION BY s.chat, s.author_id ORDER BY se.session_number) AS attendance_number,
    row_number() OVER (PARTITION BY s.chat, s.author_id ORDER BY se.session_number) = 1 AS is_newcomer
FROM sent s
JOIN sessions se ON se.chat = s.chat AND se.session_id = s.session_id
LEFT JOIN received r ON r.chat = s.chat AND r.session_id = s.session_id AND r.author_id = s.author_id
