-- materialized: table
-- Instance-local status ids mapped to the status's ActivityPub uri: (instance, local id) -> post_id.
SELECT origin, local_id, arg_max(post_id, raw_id) AS post_id
FROM stg_mastodon_posts
WHERE local_id IS NOT NULL
GROUP BY origin, local_id
