-- materialized: upsert chat, session_id in touched_sessions
-- Every session's posts with what its transcript shows (handle, text, link, question and answer marks), stored in
-- the order of the sessions' start: reading one session (the dashboard filters on session_start_at) touches only
-- the few row groups that hold it, not every post of the archive. Copying the text is most of its cost (≈3 s of
-- CPU at 1M posts), so an incremental build remakes only the touched sessions (stored again together, at the end).
WITH in_scope AS (
    SELECT * FROM chat_posts WHERE last_built() = 0
    UNION ALL
    SELECT c.*
    FROM chat_posts c
    SEMI JOIN touched_sessions t ON t.chat = c.chat AND t.session_id = c.session_id
    WHERE last_built() > 0
)
SELECT
    s.start_at AS session_start_at, c.chat, c.session_id, c.post_id, c.created_at, c.author_id, a.handle,
    p.text, p.url, c.in_reply_to_post_id, c.is_question, c.question_number, c.answers_question
FROM in_scope c
JOIN sessions s USING (chat, session_id)
JOIN posts p USING (post_id)
LEFT JOIN authors a ON a.author_id = c.author_id
-- only the sessions' order: the query puts a session's posts in thread order
ORDER BY s.start_at
