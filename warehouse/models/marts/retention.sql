-- materialized: table
-- Of the people whose first session was a given session (a cohort), the share present 1, 2, 4 and 8 sessions
-- later. Only offsets that have happened are reported.
WITH cohorts AS (
    SELECT chat, session_id AS cohort_session, session_number, author_id FROM participation WHERE is_newcomer
), sizes AS (
    SELECT chat, cohort_session, session_number, count(*) AS cohort_size FROM cohorts GROUP BY ALL
), offsets AS (
    SELECT unnest([1, 2, 4, 8]) AS sessions_later
)
SELECT
    z.chat, z.cohort_session, z.cohort_size, o.sessions_later, t.session_id AS target_session,
    count(p.author_id) AS present,
    round(count(p.author_id) / z.cohort_size, 4) AS share
FROM sizes z
CROSS JOIN offsets o
JOIN sessions t ON t.chat = z.chat AND t.session_number = z.session_number + o.sessions_later
LEFT JOIN cohorts c ON c.chat = z.chat AND c.cohort_session = z.cohort_session
LEFT JOIN participation p
    ON p.chat = z.chat AND p.session_id = t.session_id AND p.author_id = c.author_id
GROUP BY z.chat, z.cohort_session, z.cohort_size, o.sessions_later, t.session_id
