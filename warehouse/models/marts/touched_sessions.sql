-- materialized: table
-- The sessions (chat, session_id; NULL: between sessions) whose per-session marts may differ after this build:
-- those a transcript row left or joined, changed sessions, sessions whose participation changed (a newcomer is one no
-- more), the sessions of posts whose text, mentions, quoted post or boosts changed, of posts a changed post
-- replies to, and of authors whose handle or name changed. Incremental marts remake only these.
SELECT chat, session_id FROM changed_chat_posts
UNION
SELECT chat, session_id FROM changed_sessions
UNION
SELECT chat, session_id FROM changed_participation
UNION
SELECT c.chat, c.session_id FROM chat_posts c JOIN changed_posts p ON p.post_id = c.post_id
UNION
SELECT c.chat, c.session_id FROM chat_posts c JOIN changed_posts b ON b.boost_of_post_id = c.post_id
UNION
SELECT c.chat, c.session_id
FROM chat_posts c
JOIN posts p ON p.post_id = c.post_id
JOIN changed_posts q ON q.post_id = p.quote_of_post_id
UNION
SELECT p.chat, p.session_id
FROM chat_posts p
JOIN changed_chat_posts c ON c.chat = p.chat AND c.in_reply_to_post_id = p.post_id
UNION
SELECT c.chat, c.session_id FROM chat_posts c JOIN changed_authors a ON a.author_id = c.author_id
