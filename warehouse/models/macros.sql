-- Macros the models share; created on the build connection before any model runs.

-- A Mastodon Status entity, typed: only the fields the canonical model needs. Reblog and quote stay JSON.
CREATE OR REPLACE TEMP MACRO mastodon_status(j) AS json_transform(j, '{
    "id": "VARCHAR", "uri": "VARCHAR", "url": "VARCHAR", "created_at": "VARCHAR", "edited_at": "VARCHAR",
    "in_reply_to_id": "VARCHAR", "in_reply_to_account_id": "VARCHAR", "visibility": "VARCHAR",
    "language": "VARCHAR", "content": "VARCHAR", "replies_count": "BIGINT", "reblogs_count": "BIGINT",
    "favourites_count": "BIGINT",
    "account": {"id": "VARCHAR", "username": "VARCHAR", "acct": "VARCHAR", "display_name": "VARCHAR",
                "url": "VARCHAR", "created_at": "VARCHAR", "bot": "BOOLEAN", "noindex": "BOOLEAN",
                "discoverable": "BOOLEAN", "note": "VARCHAR"},
    "mentions": [{"id": "VARCHAR", "acct": "VARCHAR"}],
    "tags": [{"name": "VARCHAR"}],
    "reblog": "JSON", "quote": "JSON"
}');

-- A bare local acct ('ann') is qualified with the host of the instance that served it ('ann@example.org').
CREATE OR REPLACE TEMP MACRO qualify_acct(acct, origin) AS
    CASE WHEN acct IS NULL THEN NULL
         WHEN contains(acct, '@') THEN lower(acct)
         ELSE lower(acct || '@' || origin) END;

-- Question and answer markers at the start of a post, after any leading @mentions or #hashtags:
-- 'Q1:', 'Q1)', 'Q1.', 'Q1 -' ask question 1; 'A1', 'A1:', 'A1)' answer it.
CREATE OR REPLACE TEMP MACRO question_number(t) AS
    TRY_CAST(regexp_extract(t, '^\s*(?:[@#]\S+\s+)*[Qq](\d{1,3})\s*(?::|\)|\.|-|–|—)', 1) AS INTEGER);
CREATE OR REPLACE TEMP MACRO answer_number(t) AS
    TRY_CAST(regexp_extract(t, '^\s*(?:[@#]\S+\s+)*[Aa](\d{1,3})(?:[^0-9A-Za-z]|$)', 1) AS INTEGER);
