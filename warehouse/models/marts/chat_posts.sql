-- materialized: table
-- Every post of every chat with its session, thread and question/answer role: the transcript.
-- A post carrying the hashtag belongs to the session whose span holds it; a reply without the hashtag, or a
-- late post in a thread, belongs to its thread root's session. Posts in no session are between-session activity.
WITH by_time AS (
    SELECT m.chat, m.post_id, s.session_id
    FROM chat_memberships m
    JOIN sessions s ON s.chat = m.chat AND m.created_at >= s.start_at
        AND (m.created_at < s.end_at OR (NOT s.scheduled AND m.created_at <= s.end_at))
    WHERE m.via = 'tag'
), placed AS (
    SELECT m.*, coalesce(bt.session_id, rt.session_id) AS session_id
    FROM chat_memberships m
    LEFT JOIN by_time bt ON bt.chat = m.chat AND bt.post_id = m.post_id
    LEFT JOIN by_time rt ON rt.chat = m.chat AND rt.post_id = m.root_id
), hosts AS (
    SELECT chat, author_id FROM chat_hosts
    UNION
    -- without configured hosts, the chat's host is whoever posted the most questions
    SELECT chat, arg_max(author_id, n) FROM (
        SELECT pl.chat, pl.author_id, count(*) AS n
        FROM placed pl JOIN posts p USING (post_id)
        WHERE question_number(p.text) IS NOT NULL AND pl.session_id IS NOT NULL
        GROUP BY ALL
    ) q
    WHERE chat NOT IN (SELECT chat FROM chat_hosts)
    GROUP BY chat
), marked AS (
    SELECT pl.*, p.in_reply_to_post_id, p.in_reply_to_author_id,
        (h.author_id IS NOT NULL) AS by_host,
        CASE WHEN h.author_id IS NOT NULL THEN question_number(p.text) END AS question_number,
        answer_number(p.text) AS answer_marker
    FROM placed pl
    JOIN posts p USING (post_id)
    LEFT JOIN hosts h ON h.chat = pl.chat AND h.author_id = pl.author_id
), questions_asked AS (
    -- a question asked twice in a session (a repost, a correction) counts from its first asking
    SELECT chat, session_id, question_number, post_id
    FROM marked
    WHERE question_number IS NOT NULL AND session_id IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY chat, session_id, question_number ORDER BY created_at, post_id) = 1
)
SELECT
    m.chat,
    m.session_id,
    m.post_id,
    m.author_id,
    m.created_at,
    m.via,
    m.root_id AS thread_root_id,
    m.depth,
    m.in_reply_to_post_id,
    m.in_reply_to_author_id,
    m.by_host,
    (qa.post_id IS NOT NULL) AS is_question,
    qa.question_number AS question_number,
    -- 'A2 …' answers Q2 of its session; a direct reply to a question answers it too
    CASE WHEN m.question_number IS NULL THEN coalesce(m.answer_marker, parent_q.question_number) END
        AS answers_question
FROM marked m
LEFT JOIN questions_asked qa ON qa.post_id = m.post_id AND qa.chat = m.chat
LEFT JOIN questions_asked parent_q
    ON parent_q.chat = m.chat AND parent_q.session_id IS NOT DISTINCT FROM m.session_id
   AND parent_q.post_id = m.in_reply_to_post_id
