-- materialized: table
-- Rolling retention per session: of the people who took part in any of the four sessions before this one, the
-- share who took part in this one. The dashboard's overview draws it beside participants per session.
WITH recent AS (
    SELECT DISTINCT s.chat, s.session_id, p.author_id
    FROM sessions s
    JOIN participation p
        ON p.chat = s.chat AND p.session_number BETWEEN s.session_number - 4 AND s.session_number - 1
)
SELECT
    s.chat, s.session_id, s.session_number, s.start_at,
    count(r.author_id) AS recent_participants,
    count(here.author_id) AS retained,
    CASE WHEN count(r.author_id) > 0 THEN round(count(here.author_id) / count(r.author_id), 4) END
        AS rolling_retention
FROM sessions s
LEFT JOIN recent r ON r.chat = s.chat AND r.session_id = s.session_id
LEFT JOIN participation here
    ON here.chat = s.chat AND here.session_id = s.session_id AND here.author_id = r.author_id
GROUP BY ALL
