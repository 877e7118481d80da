-- materialized: incremental
-- Deletions an instance told us about (streaming 'delete' events, or files of them), still by local id.
SELECT
    raw_id,
    'mastodon' AS platform,
    origin,
    payload::JSON->>'$' AS local_id,
    fetched_at AS deleted_at
FROM new_raw_records
WHERE source = 'mastodon' AND kind = 'delete'
