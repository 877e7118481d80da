-- materialized: table
-- Who replied to whom over the whole range, the pairs the conversation network shows when no date range, session
-- or platform narrows it: per chat (scope: the chat) and over all chats (scope NULL, where a pair that met in
-- several chats is one pair, shown with the chat where they replied most). Only people who took part in a
-- session of the scope count, as in a narrower view (warehouse.queries.network_map).
WITH by_chat AS (
    SELECT chat, source_author_id, target_author_id, sum(count)::BIGINT AS replies
    FROM interactions
    WHERE kind = 'reply' AND session_id IS NOT NULL
    GROUP BY ALL
), scoped AS (
    SELECT chat AS scope, chat, source_author_id, target_author_id, replies FROM by_chat
    UNION ALL
    SELECT NULL, first(chat ORDER BY replies DESC, chat), source_author_id, target_author_id, sum(replies)::BIGINT
    FROM by_chat
    GROUP BY source_author_id, target_author_id
), present AS (
    SELECT DISTINCT chat AS scope, author_id FROM participation
    UNION ALL
    SELECT DISTINCT NULL, author_id FROM participation
)
SELECT s.scope, s.chat, s.source_author_id, s.target_author_id, s.replies
FROM scoped s
WHERE EXISTS (SELECT 1 FROM present p WHERE p.scope IS NOT DISTINCT FROM s.scope AND p.author_id = s.source_author_id)
  AND EXISTS (SELECT 1 FROM present p WHERE p.scope IS NOT DISTINCT FROM s.scope AND p.author_id = s.target_author_id)
ORDER BY s.scope NULLS FIRST, s.replies DESC, s.source_author_id, s.target_author_id
