-- materialized: table
-- The chats as configured at the last build, for readers (the dashboard) that have no configuration file.
SELECT
    c.chat, c.scheduled, c.isodow, c.start_time, c.duration_min, c.timezone, c.lead_in_min, c.wrap_up_min, c.gap_min,
    (SELECT list(h.hashtag ORDER BY h.hashtag) FROM chat_hashtags h WHERE h.chat = c.chat) AS hashtags,
    (SELECT list(DISTINCT p.author_id ORDER BY p.author_id) FROM chat_posts p WHERE p.chat = c.chat AND p.by_host)
        AS hosts
FROM chat_config c
