-- materialized: upsert post_id
-- Every post's thread root and depth, following in_reply_to_post_id up to the earliest captured ancestor.
-- A reply whose parent was never captured starts its own thread (depth 0) and is flagged as a partial root.
-- On an incremental build only the threads that hold a changed post are walked again (from their roots, found by
-- climbing from the changed posts): a post's row depends only on its chain of ancestors.
WITH RECURSIVE climb(post_id) AS (
    SELECT post_id FROM changed_posts WHERE last_built() > 0
    UNION
    SELECT p.in_reply_to_post_id
    FROM climb c
    JOIN posts p ON p.post_id = c.post_id
    WHERE p.in_reply_to_post_id IS NOT NULL
), walk(post_id, root_id, depth) AS (
    SELECT p.post_id, p.post_id, 0
    FROM posts p
    WHERE (p.in_reply_to_post_id IS NULL
           OR NOT EXISTS (SELECT 1 FROM posts q WHERE q.post_id = p.in_reply_to_post_id))
      AND (last_built() = 0 OR p.post_id IN (SELECT post_id FROM climb))
    UNION ALL
    SELECT c.post_id, w.root_id, w.depth + 1
    FROM walk w
    JOIN posts c ON c.in_reply_to_post_id = w.post_id
    WHERE w.depth < 10000
)
SELECT
    w.post_id,
    w.root_id,
    w.depth,
    r.is_reply AS partial_thread
FROM walk w
JOIN posts r ON r.post_id = w.root_id
