-- materialized: table chat, session_id
-- Chat sessions. A scheduled chat has one session per weekly occurrence that saw posts, laid out in the chat's
-- own time zone (a daylight-saving change moves the UTC hour, not the local one) and spanning start - lead_in to
-- end + wrap_up. A chat without a schedule starts a new session after a silence longer than its gap.
WITH tagged AS (
    SELECT m.chat, m.post_id, m.created_at
    FROM chat_memberships m
    WHERE m.via = 'tag'
), bounds AS (
    SELECT c.*, min(t.created_at) AS first_at, max(t.created_at) AS last_at
    FROM chat_config c
    JOIN tagged t USING (chat)
    WHERE c.scheduled
    GROUP BY ALL
), occurrences AS (
    SELECT
        b.chat,
        d::DATE AS local_date,
        timezone(b.timezone, d::DATE + b.start_time) AS scheduled_start_at,
        b.duration_min, b.lead_in_min, b.wrap_up_min
    FROM bounds b,
        unnest(generate_series(
            (timezone(b.timezone, b.first_at)::DATE - 7)::TIMESTAMP,
            (timezone(b.timezone, b.last_at)::DATE + 7)::TIMESTAMP,
            INTERVAL 1 DAY)) AS g(d)
    WHERE isodow(d) = b.isodow
), windows AS (
    SELECT
        chat,
        local_date,
        scheduled_start_at,
        scheduled_start_at - to_minutes(lead_in_min) AS start_at,
        scheduled_start_at + to_minutes(duration_min + wrap_up_min) AS end_at
    FROM occurrences
), scheduled AS (
    SELECT DISTINCT w.chat, w.local_date, w.scheduled_start_at, w.start_at, w.end_at
    FROM windows w
    JOIN tagged t ON t.chat = w.chat AND t.created_at >= w.start_at AND t.created_at < w.end_at
), gapped AS (
    SELECT t.chat, t.created_at,
        sum(CASE WHEN prev IS NULL OR t.created_at - prev > to_minutes(t.gap_min) THEN 1 ELSE 0 END)
            OVER (PARTITION BY t.chat ORDER BY t.created_at, t.post_id) AS run
    FROM (
        -- only the chats without a schedule: the window runs over their posts alone
        SELECT t.*, c.gap_min, lag(t.created_at) OVER (PARTITION BY t.chat ORDER BY t.created_at, t.post_id) AS prev
        FROM tagged t
        JOIN chat_config c ON c.chat = t.chat AND NOT c.scheduled
    ) t
), unscheduled AS (
    SELECT chat, min(created_at)::DATE AS local_date, NULL::TIMESTAMPTZ AS scheduled_start_at,
           min(created_at) AS start_at, max(created_at) AS end_at
    FROM gapped
    GROUP BY chat, run
), all_sessions AS (
    SELECT *, TRUE AS scheduled FROM scheduled
    UNION ALL
    SELECT *, FALSE FROM unscheduled
)
SELECT
    chat,
    CASE WHEN scheduled THEN chat || '-' || strftime(local_date, '%Y-%m-%d')
         ELSE chat || '-' || strftime(start_at, '%Y-%m-%dT%H%MZ') END AS session_id,
    row_number() OVER (PARTITION BY chat ORDER BY start_at) AS session_number,
    start_at,
    end_at,
    scheduled_start_at,
    local_date,
    scheduled
FROM all_sessions
