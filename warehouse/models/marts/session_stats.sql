-- materialized: upsert chat, session_id in touched_sessions
-- One row per session with the figures hosts and researchers look at first (remade for the touched sessions only).
WITH remade AS (
    SELECT * FROM sessions WHERE last_built() = 0
    UNION ALL
    SELECT s.* FROM sessions s SEMI JOIN touched_sessions t ON t.chat = s.chat AND t.session_id = s.session_id
    WHERE last_built() > 0
), in_scope AS (
    SELECT c.* FROM chat_posts c SEMI JOIN remade s ON s.chat = c.chat AND s.session_id = c.session_id
), first_replies AS (
    SELECT c.chat, c.session_id, c.post_id,
           min(date_diff('second', c.created_at, r.created_at)) / 60.0 AS minutes
    FROM in_scope c
    JOIN chat_posts r ON r.chat = c.chat AND r.in_reply_to_post_id = c.post_id AND r.author_id <> c.author_id
    GROUP BY ALL
), people AS (
    SELECT chat, session_id, count(*) AS participants,
           count(*) FILTER (WHERE is_newcomer) AS newcomers
    FROM participation p SEMI JOIN remade s USING (chat, session_id) GROUP BY ALL
), posts AS (
    SELECT chat, session_id, count(*) AS posts,
           count(*) FILTER (WHERE in_reply_to_author_id IS NOT NULL AND in_reply_to_author_id <> author_id) AS replies,
           count(*) FILTER (WHERE is_question) AS questions,
           count(*) FILTER (WHERE answers_question IS NOT NULL) AS answers
    FROM in_scope GROUP BY ALL
)
SELECT
    s.chat, s.session_id, s.session_number, s.start_at, s.end_at, s.scheduled_start_at, s.local_date,
    coalesce(po.posts, 0) AS posts,
    coalesce(pe.participants, 0) AS participants,
    coalesce(pe.newcomers, 0) AS newcomers,
    coalesce(pe.participants, 0) - coalesce(pe.newcomers, 0) AS returning,
    coalesce(po.replies, 0) AS replies,
    coalesce(po.questions, 0) AS questions,
    coalesce(po.answers, 0) AS answers,
    round((SELECT median(f.minutes) FROM first_replies f WHERE f.chat = s.chat AND f.session_id = s.session_id), 2)
        AS median_first_reply_minutes
FROM remade s
LEFT JOIN posts po USING (chat, session_id)
LEFT JOIN people pe USING (chat, session_id)
