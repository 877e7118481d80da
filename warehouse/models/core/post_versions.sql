-- materialized: view
-- Every version of every post from every source, in the staging contract's columns.
SELECT * FROM stg_mastodon_posts
