-- materialized: table
-- For each person's first session in a chat: did any of their posts there get a reply from someone else, from
-- whom first and after how long, and did they come back to a later session.
WITH first_sessions AS (
    SELECT chat, author_id, session_id, session_number FROM participation WHERE is_newcomer
), their_posts AS (
    SELECT f.chat, f.author_id, f.session_id, c.post_id, c.created_at
    FROM first_sessions f
    JOIN chat_posts c ON c.chat = f.chat AND c.author_id = f.author_id AND c.session_id = f.session_id
), replies AS (
    SELECT tp.chat, tp.author_id, r.author_id AS replier_id, r.created_at AS replied_at,
           date_diff('second', tp.created_at, r.created_at) / 60.0 AS minutes
    FROM their_posts tp
    JOIN chat_posts r ON r.chat = tp.chat AND r.in_reply_to_post_id = tp.post_id AND r.author_id <> tp.author_id
), first_reply AS (
    SELECT chat, author_id, arg_min(replier_id, replied_at) AS first_replier_id, min(minutes) AS minutes_to_first_reply,
           count(*) AS replies_received, count(DISTINCT replier_id) AS repliers
    FROM replies GROUP BY ALL
), later AS (
    SELECT p.chat, p.author_id, min(p.session_number) AS next_number
    FROM participation p JOIN first_sessions f USING (chat, author_id)
    WHERE p.session_number > f.session_number
    GROUP BY ALL
)
SELECT
    f.chat, f.author_id, f.session_id AS first_session_id, f.session_number AS first_session_number,
    (SELECT count(*) FROM their_posts tp WHERE tp.chat = f.chat AND tp.author_id = f.author_id) AS first_session_posts,
    (fr.author_id IS NOT NULL) AS got_reply,
    fr.first_replier_id,
    round(fr.minutes_to_first_reply, 2) AS minutes_to_first_reply,
    coalesce(fr.replies_received, 0) AS replies_received,
    coalesce(fr.repliers, 0) AS repliers,
    (l.next_number IS NOT NULL) AS returned,
    s.session_id AS next_session_id
FROM first_sessions f
LEFT JOIN first_reply fr USING (chat, author_id)
LEFT JOIN later l USING (chat, author_id)
LEFT JOIN sessions s ON s.chat = f.chat AND s.session_number = l.next_number
