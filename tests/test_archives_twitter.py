"""Importers of tweet files: the format is recognized from the content, each line becomes a raw record with its
line number, and a bad line is reported (file, line, reason) without stopping the rest."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.archives.problems import LineError, UnknownFormat
from collectors.archives.tags import exact_tweet_id
from collectors.archives.twitter_files import detect, read
from collectors.records import RawRecord
from tests.servers.x_replay import FIXTURES

AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def split(items) -> tuple[list[RawRecord], list[LineError]]:
    items = list(items)
    return [i for i in items if isinstance(i, RawRecord)], [i for i in items if isinstance(i, LineError)]


def load(path: Path):
    return split(read(path, fetched_at=AT))


def v1_statuses() -> list[dict]:
    """The statuses of a real API v1.1 search response (recorded by tweepy's test suite)."""
    body = json.loads(
        json.loads((FIXTURES / "testsearchtweets.json").read_text())["interactions"][0]["response"]["body"][
            "string"
        ]
    )
    return body["statuses"]


# --- twarc ---------------------------------------------------------------------------------------------------


def test_twarc2_response_pages_are_kept_verbatim_with_twarcs_retrieval_time():
    path = FIXTURES / "twarc2_noflat.jsonl"
    assert detect(path).description == "twarc JSON Lines: twarc2 API response pages"

    records, errors = load(path)

    assert errors == []
    assert [(r.source, r.kind, r.origin, r.line) for r in records] == [("twarc", "page", str(path), 1)]
    assert records[0].payload == path.read_text(encoding="utf-8").rstrip("\n")
    assert records[0].fetched_at == datetime(2021, 4, 8, 19, 34, 32, tzinfo=UTC)


def test_twarc2_flattened_tweets_are_one_record_per_line():
    path = FIXTURES / "twarc2_flat.jsonl"
    assert detect(path).format == "twarc-tweet_flat"

    records, errors = load(path)

    lines = path.read_text(encoding="utf-8").splitlines()
    assert errors == [] and len(records) == len(lines) == 100
    assert all(r.kind == "tweet_flat" and r.source == "twarc" for r in records)
    assert [r.line for r in records] == list(range(1, 101))
    assert [r.payload for r in records] == lines


def test_other_real_twarc2_lookups_are_pages(tmp_path):
    for name in ("twarc2_cotweet.jsonl", "twarc2_edited_before.jsonl", "twarc2_mentions_tweet.jsonl"):
        records, errors = load(FIXTURES / name)
        assert errors == [] and [r.kind for r in records] == ["page"], name


def test_v1_tweets_one_per_line_with_bom_crlf_blank_and_malformed_lines(tmp_path):
    statuses = v1_statuses()[:3]
    lines = [
        json.dumps(statuses[0]),
        "",
        json.dumps(statuses[1])[:-40],
        json.dumps(statuses[2]),
        '{"delete": {}}',
    ]
    path = tmp_path / "chat.csv"  # the name says CSV; the content decides
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n\xff\xfe bad bytes\r\n")

    detected = detect(path)
    records, errors = load(path)

    assert (
        detected.source == "twarc" and detected.description == "twarc JSON Lines: twarc 1 / API v1.1 tweets"
    )
    assert [(r.kind, r.line) for r in records] == [("tweet_v1", 1), ("tweet_v1", 4)]
    assert json.loads(records[0].payload)["id_str"] == statuses[0]["id_str"]
    assert records[0].payload == lines[0]  # BOM and \r gone, nothing else
    assert [(e.file, e.line) for e in errors] == [(str(path), 3), (str(path), 5), (str(path), 6)]
    assert errors[0].reason.startswith("not valid JSON") and errors[0].text == lines[2]
    assert errors[1].reason == "a v1.1 stream 'delete' notice, not a tweet"
    assert errors[2].reason.startswith("not UTF-8 text")
    assert str(errors[0]).startswith(f"{path}:3: not valid JSON")


def test_a_saved_v1_search_response_and_timeline_are_split_into_tweets(tmp_path):
    recorded = [
        json.loads(i["response"]["body"]["string"])
        for name in ("testsearchtweets.json", "testusertimeline.json")
        for i in json.loads((FIXTURES / name).read_text())["interactions"][:1]
    ]
    path = tmp_path / "saved.jsonl"
    path.write_text("\n".join(json.dumps(body) for body in recorded) + "\n", encoding="utf-8")

    records, errors = load(path)

    expected = [s["id_str"] for s in recorded[0]["statuses"]] + [s["id_str"] for s in recorded[1]]
    assert errors == []
    assert [json.loads(r.payload)["id_str"] for r in records] == expected
    assert {r.kind for r in records} == {"tweet_v1"}
    assert [r.line for r in records] == [1] * len(recorded[0]["statuses"]) + [2] * len(recorded[1])


def test_a_json_file_of_something_else_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "other.jsonl"
    path.write_text('{"hello": 1}\n{"world": 2}\n', encoding="utf-8")
    with pytest.raises(UnknownFormat, match=rf"^{path}: starts like JSON but no line"):
        detect(path)


# --- TAGS ----------------------------------------------------------------------------------------------------


def test_real_tags_sheet_rows_keep_ids_as_text_and_na_as_null():
    path = FIXTURES / "tags_sample-data.csv"
    assert detect(path).description == "TAGS archive sheet (CSV)"

    records, errors = load(path)

    assert errors == [] and len(records) == 10
    assert [r.line for r in records] == [2, 3, 4, 7, 8, 9, 10, 11, 12, 13]  # row 4 spans three lines
    first = json.loads(records[0].payload)
    assert first["id_str"] == "1251954312772812801" and first["from_user_id_str"] == "1251951804398669825"
    assert first["geo_coordinates"] is None and first["in_reply_to_status_id_str"] is None
    assert first["created_at_utc"] == "2020-04-19T19:22:23Z"
    for r in records:
        row = json.loads(r.payload)
        assert row["status_url"].endswith("/" + row["id_str"]) and "as_read" not in row
    assert all((r.source, r.kind) == ("tags", "tags_row") for r in records)


TAGS_HEADER = (
    "id_str,from_user,text,created_at,time,geo_coordinates,user_lang,in_reply_to_user_id_str,"
    "in_reply_to_screen_name,from_user_id_str,in_reply_to_status_id_str,source,profile_image_url,"
    "user_followers_count,user_friends_count,user_location,status_url,entities_str"
)


def tags_row(id_str: str, url_id: str | None, text: str = "A1: hi #CTQCollab", **cells: str) -> str:
    values = {
        "id_str": id_str,
        "from_user": "ann",
        "text": text,
        "created_at": "Wed Nov 18 20:05:00 +0000 2020",
        "time": "18/11/2020 20:05:00",
        "geo_coordinates": "NA",
        "user_lang": "NA",
        "in_reply_to_user_id_str": "NA",
        "in_reply_to_screen_name": "NA",
        "from_user_id_str": "1251951804398669825",
        "in_reply_to_status_id_str": "NA",
        "source": "web",
        "profile_image_url": "",
        "user_followers_count": "5",
        "user_friends_count": "6",
        "user_location": "NA",
        "status_url": f"http://twitter.com/ann/statuses/{url_id}" if url_id else "NA",
        "entities_str": '"{""hashtags"":[{""text"":""CTQCollab""}]}"',
    }
    values.update(cells)
    return ",".join(values.values())


def test_hand_made_tags_csv_recovers_rounded_ids_and_reports_bad_rows(tmp_path):
    rows = [
        TAGS_HEADER,
        tags_row("1.18051E+18", "1180512345678901234"),  # scientific notation
        tags_row("1180510000000000000", "1180512345678901235"),  # rounded to trailing zeros
        tags_row("1180512345678901236", None, from_user_id_str="1.25195E+18"),  # author id lost
        tags_row("1180512345678901237", "1180512345678901237", text='"A2: two\r\nlines, and a comma"'),
        "1180512345678901238,bob,too few cells",
        tags_row("1.18051E+18", None),  # rounded and no status_url: nothing to recover from
        tags_row("1180512345678901239", "1180512345678901239", created_at="someday", time="NA"),
        tags_row("1180512345678901240", "1180512345678901240", text="NA"),
    ]
    path = tmp_path / "archive.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode("utf-8") + b"\r\n")

    assert detect(path).source == "tags"
    records, errors = load(path)

    by_line = {r.line: json.loads(r.payload) for r in records}
    assert sorted(by_line) == [2, 3, 4, 5, 10]
    assert by_line[2]["id_str"] == "1180512345678901234" and by_line[2]["as_read"] == {
        "id_str": "1.18051E+18"
    }
    assert by_line[3]["id_str"] == "1180512345678901235"
    assert by_line[3]["as_read"] == {"id_str": "1180510000000000000"}
    assert by_line[4]["id_str"] == "1180512345678901236"
    assert by_line[4]["from_user_id_str"] is None and by_line[4]["as_read"] == {
        "from_user_id_str": "1.25195E+18"
    }
    assert (
        by_line[5]["text"] == "A2: two\r\nlines, and a comma"
        and by_line[5]["created_at_utc"] == "2020-11-18T20:05:00Z"
    )
    assert by_line[10]["text"] == "NA" and by_line[10]["profile_image_url"] is None
    assert json.loads(by_line[2]["entities_str"]) == {"hashtags": [{"text": "CTQCollab"}]}
    assert [(e.file, e.line) for e in errors] == [(str(path), 7), (str(path), 8), (str(path), 9)]
    assert errors[0].reason == "3 cells where the header has 18"
    assert errors[1].reason.startswith("id_str '1.18051E+18' is not an exact tweet id")
    assert errors[2].reason == "created_at 'someday' is not a date"


def test_exact_tweet_id_prefers_the_status_url():
    assert exact_tweet_id("1180512345678901234", "https://twitter.com/a/status/1180512345678901234") == (
        "1180512345678901234"
    )
    assert (
        exact_tweet_id("1.18E+18", "https://x.com/a/status/1180512345678901234?s=20") == "1180512345678901234"
    )
    assert exact_tweet_id("1180512345678901234", None) == "1180512345678901234"
    with pytest.raises(ValueError, match="no id_str and no status_url"):
        exact_tweet_id(None, None)


def test_a_csv_that_is_not_a_tags_sheet_is_refused(tmp_path):
    path = tmp_path / "tweets.csv"
    path.write_text("id,conversation_id,text\n1,1,hello\n", encoding="utf-8")
    with pytest.raises(UnknownFormat, match=rf"^{path}: a CSV file but not a TAGS archive sheet"):
        detect(path)


# --- the X account archive -----------------------------------------------------------------------------------


def ytd(name: str, items_text: str) -> str:
    return f"window.YTD.{name}.part0 = [{items_text}]"


def archive_tweet(id_: str, text: str, **extra: object) -> dict:
    tweet = {
        "id_str": id_,
        "id": id_,
        "full_text": text,
        "created_at": "Wed Nov 18 20:05:00 +0000 2020",
        "favorite_count": "3",
        "retweet_count": "1",
        "entities": {"hashtags": [{"text": "CTQCollab", "indices": ["7", "17"]}], "user_mentions": []},
        "lang": "en",
    }
    tweet.update(extra)
    return tweet


def pretty(elements: list[dict]) -> str:
    """Elements laid out as X writes them: `  {` at the start of each, two spaces in."""
    return ",\n".join("  " + json.dumps(e, indent=2).replace("\n", "\n  ") for e in elements)


def write_archive(
    path: Path, tweets_js: str, *, member: str = "data/tweets.js", account: bool = True
) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(member, tweets_js)
        if account:
            z.writestr(
                "data/account.js",
                ytd(
                    "account",
                    json.dumps(
                        {
                            "account": {
                                "email": "ann@example.org",
                                "createdVia": "web",
                                "username": "ann_teaches",
                                "accountId": "1251951804398669825",
                                "createdAt": "2012-01-01T00:00:00.000Z",
                                "accountDisplayName": "Ann",
                            }
                        }
                    ),
                ),
            )
            z.writestr(
                "data/profile.js",
                ytd("profile", json.dumps({"profile": {"description": {"bio": "Teacher"}}})),
            )
        z.writestr("data/deleted-tweets.js", ytd("deleted_tweets", ""))


def test_account_archive_zip_gives_one_record_per_tweet_with_the_account_holder(tmp_path):
    tweets = [
        {"tweet": archive_tweet("1330000000000000001", "Q1: hi #CTQCollab")},
        {
            "tweet": archive_tweet(
                "1330000000000000002",
                "@bob A1: yes #CTQCollab",
                in_reply_to_status_id_str="1330000000000000009",
                in_reply_to_user_id_str="99",
            )
        },
        {"tweet": archive_tweet("1330000000000000003", "RT @bob: A2 #CTQCollab", retweeted=False)},
    ]
    body = pretty(tweets)
    broken = body.replace('"full_text": "@bob A1', '"full_text" "@bob A1')  # a lost colon in the 2nd tweet
    path = tmp_path / "twitter-2026-11-01-abc.zip"
    write_archive(path, "window.YTD.tweets.part0 = [\n" + broken + "\n]")

    detected = detect(path)
    records, errors = load(path)

    assert detected.source == "twitter-archive"
    assert detected.description == "X account archive of @ann_teaches (data/tweets.js)"
    assert [(r.source, r.kind, r.origin) for r in records] == [
        ("twitter-archive", "archive_tweet", str(path))
    ] * 2
    first = json.loads(records[0].payload)
    assert first["element"] == tweets[0]
    assert first["account"] == {
        "accountId": "1251951804398669825",
        "username": "ann_teaches",
        "accountDisplayName": "Ann",
        "createdAt": "2012-01-01T00:00:00.000Z",
        "bio": "Teacher",
    }
    assert "ann@example.org" not in records[0].payload
    assert json.loads(records[1].payload)["element"]["tweet"]["id_str"] == "1330000000000000003"
    element_starts = [i + 1 for i, line in enumerate(broken.split("\n"), start=1) if line == "  {"]
    assert [r.line for r in records] == [element_starts[0], element_starts[2]]
    (error,) = errors
    assert error.file == f"{path}:data/tweets.js" and error.reason.startswith("malformed JSON (Expecting ':'")
    assert element_starts[1] < error.line < element_starts[2]


def test_older_archives_tweet_js_parts_and_a_bare_tweets_js(tmp_path):
    path = tmp_path / "old.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "twitter/data/tweet-part1.js",
            "window.YTD.tweet.part1 = [\n" + pretty([archive_tweet("12", "b")]) + "\n]",
        )
        z.writestr(
            "twitter/data/tweet.js",
            "window.YTD.tweet.part0 = [\n" + pretty([archive_tweet("11", "a")]) + "\n]",
        )
    records, errors = load(path)
    assert errors == []
    assert [json.loads(r.payload)["element"]["id_str"] for r in records] == ["11", "12"]
    assert json.loads(records[0].payload)["account"] is None
    assert "no data/account.js" in detect(path).description

    bare = tmp_path / "tweets.js"
    bare.write_text(
        ytd("tweets", pretty([{"tweet": archive_tweet("13", "c")}, {"note": "x"}])), encoding="utf-8-sig"
    )
    assert detect(bare).format == "x-archive-js"
    records, errors = load(bare)
    assert len(records) == 1 and [e.reason for e in errors] == ["not a tweet: id_str is None"]


def test_a_zip_without_tweets_is_refused(tmp_path):
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("data/like.js", ytd("like", ""))
    with pytest.raises(UnknownFormat, match=rf"^{path}: a zip without data/tweets.js"):
        detect(path)


def test_unrecognized_files_are_one_line_errors(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\n", encoding="utf-8")
    with pytest.raises(UnknownFormat) as e:
        detect(path)
    assert str(e.value) == f"{path}: not twarc JSON Lines, a TAGS CSV or an X account archive"
    with pytest.raises(UnknownFormat, match="no such file"):
        detect(tmp_path / "missing.jsonl")
