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

-- Which version of a post is its latest edit: the greatest of these keys (a version without a time comes last).
CREATE OR REPLACE TEMP MACRO latest_key(edited_at, created_at, richness, fetched_at, raw_id) AS
    (coalesce(edited_at, created_at, '-infinity'::TIMESTAMPTZ), richness, fetched_at, raw_id);

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

-- X/Twitter. Tweet text arrives HTML-escaped (&amp; &lt; &gt;) from every X API version and the archives built on it.
CREATE OR REPLACE TEMP MACRO x_text(t) AS replace(replace(replace(t, '&lt;', '<'), '&gt;', '>'), '&amp;', '&');

-- The time a tweet id was minted (ids are snowflakes: milliseconds since 2010-11-04 in the high bits), to the
-- second as the API reports created_at.
CREATE OR REPLACE TEMP MACRO x_id_time(id) AS
    date_trunc('second', to_timestamp(((TRY_CAST(id AS UBIGINT) >> 22) + 1288834974657) / 1000.0));

-- API v1.1 and account-archive times: 'Wed Oct 10 20:19:24 +0000 2018'.
CREATE OR REPLACE TEMP MACRO x_v1_time(s) AS try_strptime(s, '%a %b %d %H:%M:%S %z %Y')::TIMESTAMPTZ;

-- A v2 tweet, typed: only what the canonical model needs.
CREATE OR REPLACE TEMP MACRO x_tweet(j) AS json_transform(j, '{
    "id": "VARCHAR", "text": "VARCHAR", "author_id": "VARCHAR", "conversation_id": "VARCHAR",
    "created_at": "VARCHAR", "lang": "VARCHAR", "in_reply_to_user_id": "VARCHAR",
    "edit_history_tweet_ids": ["VARCHAR"],
    "referenced_tweets": [{"type": "VARCHAR", "id": "VARCHAR"}],
    "entities": {"hashtags": [{"tag": "VARCHAR"}], "mentions": [{"username": "VARCHAR", "id": "VARCHAR"}]},
    "public_metrics": {"retweet_count": "BIGINT", "reply_count": "BIGINT", "like_count": "BIGINT"}
}');

-- A v2 user.
CREATE OR REPLACE TEMP MACRO x_user(j) AS json_transform(j, '{
    "id": "VARCHAR", "username": "VARCHAR", "name": "VARCHAR", "created_at": "VARCHAR", "description": "VARCHAR"
}');

-- A v1.1 tweet (also the shape of an account archive's tweet; counts there are strings, hence the casts).
CREATE OR REPLACE TEMP MACRO x_v1_tweet(j) AS json_transform(j, '{
    "id_str": "VARCHAR", "text": "VARCHAR", "full_text": "VARCHAR", "created_at": "VARCHAR", "lang": "VARCHAR",
    "extended_tweet": {"full_text": "VARCHAR",
                       "entities": {"hashtags": [{"text": "VARCHAR"}], "user_mentions": [{"id_str": "VARCHAR"}]}},
    "user": {"id_str": "VARCHAR", "screen_name": "VARCHAR", "name": "VARCHAR", "created_at": "VARCHAR",
             "description": "VARCHAR"},
    "in_reply_to_status_id_str": "VARCHAR", "in_reply_to_user_id_str": "VARCHAR",
    "in_reply_to_screen_name": "VARCHAR",
    "entities": {"hashtags": [{"text": "VARCHAR"}], "user_mentions": [{"id_str": "VARCHAR", "screen_name": "VARCHAR"}]},
    "retweeted_status": {"id_str": "VARCHAR"}, "quoted_status_id_str": "VARCHAR",
    "retweet_count": "BIGINT", "favorite_count": "BIGINT", "reply_count": "BIGINT"
}');

-- A retweet whose original the source did not record (TAGS rows and account archives keep only the
-- 'RT @handle: …' text): marked as a boost of an unknown post of that handle, so it is not counted as a post.
CREATE OR REPLACE TEMP MACRO x_text_retweet(t) AS
    CASE WHEN t LIKE 'RT @%' THEN 'x:unknown-retweet-of:@' || lower(regexp_extract(t, '^RT @(\w+)', 1)) END;
