-- materialized: upsert chat, post_id in changed_chat_memberships
-- The session of every chat post (NULL: between sessions). A post carrying the hashtag belongs to the session
-- whose span holds it; a reply without the hashtag, or a late post in a thread, belongs to its thread root's session.
-- On an incremental build only these are placed again: the posts whose membership changed, the tagged posts in
-- the old or new span of a changed session, and the threads they start.
WITH moved AS (
    SELECT post_id FROM changed_chat_memberships
    UNION
    SELECT m.post_id
    FROM chat_memberships m
    JOIN changed_sessions s ON s.chat = m.chat AND m.created_at >= s.start_at AND m.created_at <= s.end_at
    WHERE m.via = 'tag'
), to_place AS (
    SELECT post_id FROM moved
    UNION
    SELECT post_id FROM chat_memberships WHERE root_id IN (SELECT post_id FROM moved)
), members AS (
    SELECT * FROM chat_memberships
    WHERE last_built() = 0
       OR post_id IN (SELECT post_id FROM to_place)
       OR post_id IN (SELECT root_id FROM chat_memberships WHERE post_id IN (SELECT post_id FROM to_place))
), by_time AS (
    SELECT m.chat, m.post_id, s.session_id
    FROM members m
    JOIN sessions s ON s.chat = m.chat AND m.created_at >= s.start_at
        AND (m.created_at < s.end_at OR (NOT s.scheduled AND m.created_at <= s.end_at))
    WHERE m.via = 'tag'
)
SELECT m.chat, m.post_id, coalesce(bt.session_id, rt.session_id) AS session_id
FROM members m
LEFT JOIN by_time bt ON bt.chat = m.chat AND bt.post_id = m.post_id
LEFT JOIN by_time rt ON rt.chat = m.chat AND rt.post_id = m.root_id
