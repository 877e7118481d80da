-- materialized: table author_id
-- One row per author as last seen, with their privacy wishes: an author who set noindex, is not discoverable,
-- or has #nobot / #noarchive in their bio has opted out of archiving.
SELECT
    author_id,
    arg_max(platform, (fetched_at, raw_id)) AS platform,
    arg_max(author_handle, (fetched_at, raw_id)) FILTER (WHERE author_handle IS NOT NULL) AS handle,
    arg_max(author_display_name, (fetched_at, raw_id)) FILTER (WHERE author_display_name IS NOT NULL) AS display_name,
    arg_max(author_url, (fetched_at, raw_id)) FILTER (WHERE author_url IS NOT NULL) AS url,
    min(author_created_at) AS created_at,
    arg_max(author_bot, (fetched_at, raw_id)) FILTER (WHERE author_bot IS NOT NULL) AS bot,
    arg_max(author_noindex, (fetched_at, raw_id)) FILTER (WHERE author_noindex IS NOT NULL) AS noindex,
    arg_max(author_discoverable, (fetched_at, raw_id)) FILTER (WHERE author_discoverable IS NOT NULL) AS discoverable,
    arg_max(author_note, (fetched_at, raw_id)) FILTER (WHERE author_note IS NOT NULL) AS note,
    coalesce(arg_max(author_noindex, (fetched_at, raw_id)) FILTER (WHERE author_noindex IS NOT NULL), FALSE)
        OR NOT coalesce(arg_max(author_discoverable, (fetched_at, raw_id)) FILTER (WHERE author_discoverable IS NOT NULL), TRUE)
        OR coalesce(regexp_matches(
               arg_max(author_note, (fetched_at, raw_id)) FILTER (WHERE author_note IS NOT NULL),
               '#no(bot|archive)\b', 'i'), FALSE)
        AS opted_out
FROM post_versions
WHERE author_id IS NOT NULL
GROUP BY author_id
