-- materialized: upsert origin, local_id
-- Instance-local status ids mapped to the status's ActivityPub uri: (instance, local id) -> post_id, as last seen.
-- The newest raw records hold the newest mapping, so an incremental build reads only theirs.
SELECT origin, local_id, arg_max(post_id, raw_id) AS post_id
FROM stg_mastodon_posts
WHERE local_id IS NOT NULL AND raw_id > last_built()
GROUP BY origin, local_id
