-- materialized: table
-- Instance-local account ids mapped to qualified author ids: (instance, local account id) -> user@host.
SELECT origin, author_local_id, arg_max(author_id, raw_id) AS author_id
FROM stg_mastodon_posts
WHERE author_local_id IS NOT NULL
GROUP BY origin, author_local_id
