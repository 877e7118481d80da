-- materialized: upsert chat, thread_root_id in changed_chat_posts
-- One row per thread in a chat: where it started, how long and deep it ran, who took part (remade for the threads whose transcript rows changed only).
SELECT
    c.chat,
    arg_min(c.session_id, c.created_at) FILTER (WHERE c.post_id = c.thread_root_id) AS session_id,
    c.thread_root_id,
    arg_min(c.author_id, c.created_at) FILTER (WHERE c.post_id = c.thread_root_id) AS root_author_id,
    min(c.created_at) AS started_at,
    max(c.created_at) AS last_post_at,
    count(*) AS posts,
    count(*) - 1 AS replies,
    count(DISTINCT c.author_id) AS participants,
    max(c.depth) AS max_depth
FROM chat_posts c
WHERE last_built() = 0
   OR EXISTS (SELECT 1 FROM changed_chat_posts t WHERE t.chat = c.chat AND t.thread_root_id = c.thread_root_id)
GROUP BY c.chat, c.thread_root_id
