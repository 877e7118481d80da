-- materialized: upsert origin, author_local_id
-- Instance-local account ids mapped to qualified author ids: (instance, local account id) -> user@host, as last
-- seen. The newest raw records hold the newest mapping, so an incremental build reads only theirs.
SELECT origin, author_local_id, arg_max(author_id, raw_id) AS author_id
FROM stg_mastodon_posts
WHERE author_local_id IS NOT NULL AND raw_id > last_built()
GROUP BY origin, author_local_id
