-- materialized: upsert post_id in touched_posts
-- Which posts belong to which chat: those carrying one of its hashtags ('tag'), and replies in a thread whose
-- root carries one ('thread'). Deleted posts, boosts, non-public posts and (unless the config says otherwise)
-- posts by authors who opted out are left out of every mart.
-- On an incremental build only the touched posts (and their thread roots, which decide their chats) are read.
WITH scope AS (
    SELECT post_id FROM touched_posts
    UNION
    SELECT t.root_id FROM post_threads t JOIN touched_posts USING (post_id)
), eligible AS (
    SELECT p.*, t.root_id, t.depth
    FROM posts p
    JOIN post_threads t USING (post_id)
    LEFT JOIN authors a USING (author_id)
    WHERE (last_built() = 0 OR p.post_id IN (SELECT post_id FROM scope))
      AND p.deleted_at IS NULL
      AND p.boost_of_post_id IS NULL
      AND coalesce(p.visibility, 'public') IN ('public', 'unlisted')
      AND NOT (coalesce(a.opted_out, FALSE) AND (SELECT respect_opt_out FROM build_settings))
), tagged AS (
    SELECT DISTINCT h.chat, e.post_id
    FROM eligible e
    JOIN chat_hashtags h ON list_contains(e.hashtags, h.hashtag)
)
SELECT e.post_id, x.chat, x.via, e.root_id, e.depth, e.author_id, e.created_at
FROM (
    SELECT chat, post_id, 'tag' AS via FROM tagged
    UNION ALL
    SELECT DISTINCT t.chat, e.post_id, 'thread'
    FROM eligible e
    JOIN tagged t ON t.post_id = e.root_id
    WHERE NOT EXISTS (SELECT 1 FROM tagged t2 WHERE t2.chat = t.chat AND t2.post_id = e.post_id)
) x
JOIN eligible e USING (post_id)
