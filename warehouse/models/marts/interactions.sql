-- materialized: upsert chat, session_id in touched_sessions
-- Who addressed whom, by kind: reply, mention (not counting the automatic mention of the person replied to),
-- boost and quote; per chat and session (NULL session: between sessions). Nobody interacts with themselves.
-- An incremental build remakes the touched sessions only.
WITH cp AS (
    SELECT c.chat, c.session_id, c.post_id, c.author_id, c.in_reply_to_author_id, p.mentions, p.quote_of_post_id
    FROM chat_posts c JOIN posts p USING (post_id)
    WHERE last_built() = 0 OR EXISTS (SELECT 1 FROM touched_sessions t WHERE t.chat = c.chat AND t.session_id IS NOT DISTINCT FROM c.session_id)
), edges AS (
    SELECT chat, session_id, author_id AS source_author_id, in_reply_to_author_id AS target_author_id, 'reply' AS kind
    FROM cp WHERE in_reply_to_author_id IS NOT NULL
    UNION ALL
    SELECT chat, session_id, author_id, m.mentioned, 'mention'
    FROM cp, unnest(cp.mentions) AS m(mentioned)
    WHERE m.mentioned IS DISTINCT FROM cp.in_reply_to_author_id
    UNION ALL
    SELECT cp.chat, cp.session_id, cp.author_id, q.author_id, 'quote'
    FROM cp JOIN posts q ON q.post_id = cp.quote_of_post_id
    UNION ALL
    SELECT c.chat, c.session_id, b.author_id, c.author_id, 'boost'
    FROM posts b JOIN chat_posts c ON c.post_id = b.boost_of_post_id
    WHERE b.deleted_at IS NULL AND (last_built() = 0 OR EXISTS (SELECT 1 FROM touched_sessions t WHERE t.chat = c.chat AND t.session_id IS NOT DISTINCT FROM c.session_id))
)
SELECT chat, session_id, source_author_id, target_author_id, kind, count(*) AS count
FROM edges
WHERE source_author_id IS NOT NULL AND target_author_id IS NOT NULL AND source_author_id <> target_author_id
GROUP BY ALL
