-- materialized: table
-- Deleted posts by canonical id, whichever instance reported the deletion first.
SELECT ids.post_id, min(d.deleted_at) AS deleted_at
FROM stg_mastodon_deletes d
JOIN mastodon_status_ids ids ON ids.origin = d.origin AND ids.local_id = d.local_id
GROUP BY ids.post_id
