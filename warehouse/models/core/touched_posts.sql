-- materialized: table
-- The posts whose chat membership may differ after this build: those whose row or thread changed, the members of
-- threads whose root changed (the root's hashtags, deletion and visibility decide its thread's chats), and the
-- posts and threads of authors whose row changed (an author who opted out). Incremental marts remake only these.
SELECT post_id FROM changed_posts
UNION
SELECT post_id FROM changed_post_threads
UNION
SELECT t.post_id FROM post_threads t JOIN changed_posts c ON c.post_id = t.root_id
UNION
SELECT p.post_id FROM posts p JOIN changed_authors a USING (author_id)
UNION
SELECT t.post_id
FROM post_threads t
JOIN posts r ON r.post_id = t.root_id
JOIN changed_authors a ON a.author_id = r.author_id
