-- materialized: table
-- The people of the conversation network over the whole range, per chat (scope: the chat) and over all chats
-- (scope NULL: one row per person, with the chat where they posted most), with their posts, their role, and
-- where to draw them (x, y; NULL for who is not drawn). The layout is the build's (warehouse.layout through the
-- SQL function network_layout), so the dashboard draws a whole range without laying it out, and a narrower view
-- starts from these positions.
WITH in_chat AS (
    SELECT chat, author_id, sum(posts)::BIGINT AS posts FROM participation GROUP BY ALL
), scoped AS (
    SELECT chat AS scope, chat, author_id, posts FROM in_chat
    UNION ALL
    SELECT NULL, first(chat ORDER BY posts DESC, chat), author_id, sum(posts)::BIGINT FROM in_chat GROUP BY author_id
), people_lists AS (
    SELECT scope, list(author_id ORDER BY posts DESC, author_id) AS people FROM scoped GROUP BY scope
), pair_lists AS (
    SELECT scope,
           list({'source': source_author_id, 'target': target_author_id, 'replies': replies}
                ORDER BY replies DESC, source_author_id, target_author_id) AS pairs
    FROM network_pairs GROUP BY scope
), laid AS (
    SELECT pl.scope, unnest(network_layout(pl.people, coalesce(pr.pairs, []))) AS at
    FROM people_lists pl LEFT JOIN pair_lists pr ON pr.scope IS NOT DISTINCT FROM pl.scope
)
SELECT s.scope, s.chat, s.author_id, a.handle, p.role, s.posts, l.at.x AS x, l.at.y AS y
FROM scoped s
LEFT JOIN laid l ON l.scope IS NOT DISTINCT FROM s.scope AND l.at.author_id = s.author_id
LEFT JOIN authors a ON a.author_id = s.author_id
LEFT JOIN participants p ON p.chat = s.chat AND p.author_id = s.author_id
ORDER BY s.scope NULLS FIRST, s.posts DESC, s.author_id
