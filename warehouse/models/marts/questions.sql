-- materialized: upsert chat, session_id in touched_sessions
-- The host's questions per session, with how many answers each drew and from how many people (remade for the touched sessions only).
SELECT
    q.chat,
    q.session_id,
    q.question_number AS number,
    q.post_id,
    q.author_id,
    q.created_at AS asked_at,
    p.text,
    count(a.post_id) AS answers,
    count(DISTINCT a.author_id) AS answerers
FROM chat_posts q
JOIN posts p USING (post_id)
LEFT JOIN chat_posts a
    ON a.chat = q.chat AND a.session_id = q.session_id AND a.answers_question = q.question_number
   AND a.author_id <> q.author_id
WHERE q.is_question AND (last_built() = 0 OR EXISTS (SELECT 1 FROM touched_sessions t WHERE t.chat = q.chat AND t.session_id IS NOT DISTINCT FROM q.session_id))
GROUP BY ALL
