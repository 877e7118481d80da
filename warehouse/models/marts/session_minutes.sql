-- materialized: upsert chat, session_id in touched_sessions
-- Posts and active participants per minute of each session: the live view's pulse (remade for the touched sessions only).
SELECT
    c.chat, c.session_id, date_trunc('minute', c.created_at) AS minute,
    count(*) AS posts,
    count(DISTINCT c.author_id) AS active_participants,
    count(*) FILTER (WHERE c.in_reply_to_post_id IS NOT NULL) AS replies
FROM chat_posts c
WHERE c.session_id IS NOT NULL AND (last_built() = 0 OR EXISTS (SELECT 1 FROM touched_sessions t WHERE t.chat = c.chat AND t.session_id IS NOT DISTINCT FROM c.session_id))
GROUP BY ALL
