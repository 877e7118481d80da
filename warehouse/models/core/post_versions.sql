-- materialized: view
-- Every version of every post from every source, in the staging contract's columns.
SELECT * FROM stg_mastodon_posts
UNION ALL BY NAME
SELECT * FROM stg_twitter_posts
UNION ALL BY NAME
SELECT * FROM stg_twitter_v1_posts
UNION ALL BY NAME
SELECT * FROM stg_tags_posts
