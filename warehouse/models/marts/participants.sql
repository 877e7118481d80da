-- materialized: table
-- Everyone who posted in a chat, with their attendance and role. Roles (see README):
--   host: posts the chat's questions (configured, or the most frequent questioner);
--   one-time: at most one session;
--   core: 4+ sessions and at least half of the sessions held since their first;
--   regular: 3+ sessions and at least a quarter of the sessions held since their first;
--   occasional: everyone else.
WITH attendance AS (
    SELECT chat, author_id,
        count(*) AS sessions_attended,
        min(session_number) AS first_number,
        arg_min(session_id, session_number) AS first_session,
        arg_max(session_id, session_number) AS last_session
    FROM participation
    GROUP BY ALL
), totals AS (
    SELECT chat, author_id,
        count(*) AS posts,
        count(*) FILTER (WHERE in_reply_to_author_id IS NOT NULL AND in_reply_to_author_id <> author_id) AS replies_sent,
        bool_or(by_host) AS is_host,
        min(created_at) AS first_post_at,
        max(created_at) AS last_post_at
    FROM chat_posts
    GROUP BY ALL
), received AS (
    SELECT chat, in_reply_to_author_id AS author_id, count(*) AS replies_received
    FROM chat_posts
    WHERE in_reply_to_author_id <> author_id
    GROUP BY ALL
), partners AS (
    SELECT chat, author_id, count(DISTINCT partner) AS distinct_partners
    FROM (
        SELECT chat, source_author_id AS author_id, target_author_id AS partner FROM interactions
        UNION ALL
        SELECT chat, target_author_id, source_author_id FROM interactions
    )
    GROUP BY ALL
), held AS (
    SELECT chat, max(session_number) AS sessions_held FROM sessions GROUP BY chat
), measured AS (
    SELECT
        t.chat, t.author_id, a.first_session, a.last_session,
        coalesce(a.sessions_attended, 0) AS sessions_attended,
        t.posts, t.replies_sent, coalesce(r.replies_received, 0) AS replies_received,
        coalesce(p.distinct_partners, 0) AS distinct_partners,
        t.is_host, t.first_post_at, t.last_post_at,
        coalesce(a.sessions_attended, 0) / greatest(h.sessions_held - a.first_number + 1, 1) AS attendance_share
    FROM totals t
    LEFT JOIN attendance a USING (chat, author_id)
    LEFT JOIN received r USING (chat, author_id)
    LEFT JOIN partners p USING (chat, author_id)
    LEFT JOIN held h USING (chat)
)
SELECT
    m.chat, m.author_id, au.handle, au.display_name, m.first_session, m.last_session, m.sessions_attended,
    m.posts, m.replies_sent, m.replies_received, m.distinct_partners, round(m.attendance_share, 3) AS attendance_share,
    CASE
        WHEN m.is_host THEN 'host'
        WHEN m.sessions_attended <= 1 THEN 'one-time'
        WHEN m.sessions_attended >= 4 AND m.attendance_share >= 0.5 THEN 'core'
        WHEN m.sessions_attended >= 3 AND m.attendance_share >= 0.25 THEN 'regular'
        ELSE 'occasional'
    END AS role,
    m.first_post_at, m.last_post_at
FROM measured m
LEFT JOIN authors au USING (author_id)
