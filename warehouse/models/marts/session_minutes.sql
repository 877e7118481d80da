-- materialized: table
-- Posts and active participants per minute of each session: the live view's pulse.
SELECT
    c.chat, c.session_id, date_trunc('minute', c.created_at) AS minute,
    count(*) AS posts,
    count(DISTINCT c.author_id) AS active_participants,
    count(*) FILTER (WHERE c.in_reply_to_post_id IS NOT NULL) AS replies
FROM chat_posts c
WHERE c.session_id IS NOT NULL
GROUP BY ALL
