-- materialized: upsert chat, post_id in changed_chat_memberships
-- Every post of every chat with its session (post_sessions), thread and question/answer role: the transcript.
-- Which question a post asks or answers depends on the other posts of its session, so an incremental build remakes
-- whole sessions: those whose posts were placed, changed or altered in membership (and every post of a chat whose
-- host is found from its questions rather than configured).
WITH touched AS (
    SELECT chat, session_id FROM changed_post_sessions
    UNION
    SELECT ps.chat, ps.session_id
    FROM post_sessions ps
    WHERE ps.post_id IN (SELECT post_id FROM changed_posts UNION SELECT post_id FROM changed_chat_memberships)
), placed AS (
    SELECT m.*, ps.session_id
    FROM post_sessions ps
    JOIN chat_memberships m ON m.chat = ps.chat AND m.post_id = ps.post_id
    WHERE last_built() = 0
       OR ps.chat NOT IN (SELECT chat FROM chat_hosts)
       OR EXISTS (SELECT 1 FROM touched t WHERE t.chat = ps.chat AND t.session_id IS NOT DISTINCT FROM ps.session_id)
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
