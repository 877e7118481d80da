-- materialized: table
-- The host's questions per session, with how many answers each drew and from how many people.
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
WHERE q.is_question
GROUP BY ALL
