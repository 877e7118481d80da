-- materialized: upsert chat, session_id in changed_participation
-- Participation split by platform (a chat can hold Mastodon and X posts together): one row per author, session
-- and platform, so figures can be read for one platform. is_newcomer is the person's first session in the chat. Remade for the sessions whose participation or posts changed only.
SELECT
    c.chat, c.session_id, c.author_id, p.platform,
    count(*) AS posts,
    count(*) FILTER (WHERE c.in_reply_to_author_id IS NOT NULL AND c.in_reply_to_author_id <> c.author_id)
        AS replies_sent,
    any_value(pa.is_newcomer) AS is_newcomer
FROM chat_posts c
JOIN posts p USING (post_id)
JOIN participation pa ON pa.chat = c.chat AND pa.session_id = c.session_id AND pa.author_id = c.author_id
WHERE c.session_id IS NOT NULL
  AND (last_built() = 0
       OR EXISTS (SELECT 1 FROM touched_sessions t WHERE t.chat = c.chat AND t.session_id IS NOT DISTINCT FROM c.session_id)
       OR EXISTS (SELECT 1 FROM changed_participation t WHERE t.chat = c.chat AND t.session_id = c.session_id))
GROUP BY c.chat, c.session_id, c.author_id, p.platform
