-- materialized: incremental
-- One row per Mastodon status version seen: a status as one instance served it at one time. Ids are still local
-- to that instance (mapped to ActivityPub uris in core/). Boosted and quoted statuses embedded in a status are
-- versions too. HTML becomes plain text here, once per distinct HTML of the new raw records.
WITH raw AS (
    SELECT raw_id, origin, fetched_at, is_context, mastodon_status(payload) AS s, 10 AS richness
    FROM new_raw_records
    WHERE source = 'mastodon' AND kind = 'status'
), embedded AS (
    SELECT raw_id, origin, fetched_at, TRUE AS is_context, mastodon_status(s.reblog) AS s, 5 AS richness
    FROM raw WHERE json_type(s.reblog) = 'OBJECT'
    UNION ALL
    SELECT raw_id, origin, fetched_at, TRUE, mastodon_status(coalesce(s.quote->'$.quoted_status', s.quote)), 5
    FROM raw
    WHERE json_type(s.quote) = 'OBJECT'
      AND (json_type(s.quote, '$.quoted_status') = 'OBJECT' OR s.quote->>'$.uri' IS NOT NULL)
), versions AS (
    SELECT * FROM raw
    UNION ALL
    SELECT * FROM embedded
), texts AS (
    -- each distinct HTML (a status seen on several instances, an author's bio on every post) is converted once
    SELECT html, html_to_text(html) AS text
    FROM (SELECT s.content AS html FROM versions UNION SELECT s.account.note FROM versions)
    WHERE html IS NOT NULL
)
SELECT
    raw_id,
    'mastodon' AS platform,
    origin,
    s.id AS local_id,
    s.uri AS post_id,
    s.url AS url,
    s.created_at::TIMESTAMPTZ AS created_at,
    s.edited_at::TIMESTAMPTZ AS edited_at,
    fetched_at,
    s.account.id AS author_local_id,
    qualify_acct(s.account.acct, origin) AS author_id,
    s.account.username AS author_handle,
    s.account.display_name AS author_display_name,
    s.account.url AS author_url,
    TRY_CAST(s.account.created_at AS TIMESTAMPTZ) AS author_created_at,
    s.account.bot AS author_bot,
    s.account.noindex AS author_noindex,
    s.account.discoverable AS author_discoverable,
    note.text AS author_note,
    s.content AS html,
    content.text AS text,
    s.language AS lang,
    s.visibility AS visibility,
    s.in_reply_to_id AS in_reply_to_local_id,
    NULL::VARCHAR AS in_reply_to_post_id,
    s.in_reply_to_account_id AS in_reply_to_author_local_id,
    NULL::VARCHAR AS in_reply_to_author_id,
    NULL::VARCHAR AS conversation_id,
    s.reblog->>'$.uri' AS boost_of_post_id,
    coalesce(s.quote->>'$.quoted_status.uri', s.quote->>'$.uri') AS quote_of_post_id,
    coalesce(list_transform(s.tags, lambda t: lower(t.name)), []) AS hashtags,
    coalesce(list_transform(s.mentions, lambda m: qualify_acct(m.acct, origin)), []) AS mentions,
    s.replies_count AS replies_count,
    s.reblogs_count AS boosts_count,
    s.favourites_count AS favourites_count,
    is_context,
    richness
FROM versions
LEFT JOIN texts content ON content.html = s.content
LEFT JOIN texts note ON note.html = s.account.note
WHERE s.uri IS NOT NULL
