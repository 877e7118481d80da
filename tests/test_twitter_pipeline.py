"""X posts through the whole archive: import (each format) or capture -> build -> export sessions and posts, the
richer record winning field by field, re-imports changing nothing, and a chat that spans Mastodon and X."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from chat_scenario import write_instance_file
from factories import build_with, config_file, rows
from test_cli import one_line_error, tagtrail
from test_import_mastodon import import_file as import_mastodon_file
from x_chat_scenario import (
    CHAT_POST_IDS,
    SESSION_POSTS,
    TWEETS,
    USERS,
    X_CONFIG,
    v2_page,
    write_account_archive,
    write_tags,
    write_twarc_flat,
    write_twarc_pages,
    write_v1,
)

from collectors.archives.problems import LineError
from collectors.archives.twitter_files import read
from collectors.twitter import ORIGIN, SOURCE, capture, make_client
from tests.servers.x_replay import Reply, XReplay
from warehouse.archive import Archive
from warehouse.reports import export

WRITERS = {"pages": write_twarc_pages, "flat": write_twarc_flat, "v1": write_v1, "tags": write_tags}


def import_x(db: Path, path: Path) -> tuple[int, list[LineError]]:
    items = list(read(path))
    errors = [i for i in items if isinstance(i, LineError)]
    return Archive(db).write([i for i in items if not isinstance(i, LineError)]), errors


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def sessions_and_posts(db: Path, tmp: Path) -> tuple[dict[str, int], list[dict[str, str]]]:
    export(db, "sessions", tmp / "sessions.csv", chat="CTQCollab")
    export(db, "posts", tmp / "posts.csv", chat="CTQCollab")
    sessions = {r["scheduled_start_at"]: int(r["posts"]) for r in csv_rows(tmp / "sessions.csv")}
    return sessions, csv_rows(tmp / "posts.csv")


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_each_import_format_gives_the_same_sessions_and_transcript(tmp_path: Path, fmt: str) -> None:
    db = tmp_path / "t.duckdb"
    path = WRITERS[fmt](tmp_path / f"chat.{fmt}")
    new, errors = import_x(db, path)
    assert errors == [] and new > 0
    build_with(db, config_file(tmp_path, X_CONFIG))

    sessions, posts = sessions_and_posts(db, tmp_path)

    assert {k: v for k, v in sessions.items() if v} == SESSION_POSTS
    assert {p["post_id"] for p in posts} == CHAT_POST_IDS
    by_id = {p["post_id"]: p for p in posts}
    bob_reply = by_id["x:1765100000000000003"]
    assert bob_reply["in_reply_to_post_id"] == "x:1765100000000000002"
    assert bob_reply["author_id"] == USERS["bob_x"][0]
    assert by_id["x:1765100000000000002"]["text"] == "A1 poetry & plays #CTQCollab"
    [(mentions, hashtags)] = rows(
        db, "SELECT mentions, hashtags FROM posts WHERE post_id = 'x:1765100000000000003'"
    )
    assert mentions == [USERS["ann_x"][0]] and hashtags == []
    [(boost,)] = rows(db, "SELECT boost_of_post_id FROM posts WHERE post_id = 'x:1765100000000000004'")
    assert boost == ("x:unknown-retweet-of:@xhost" if fmt == "tags" else "x:1765100000000000001")
    if fmt != "tags":
        [(quote,)] = rows(db, "SELECT quote_of_post_id FROM posts WHERE post_id = 'x:1765100000000000005'")
        assert quote == "x:1765100000000000002"
    # the host (configured by numeric id) asked Q1 in session 1
    [(number, author)] = rows(db, "SELECT number, author_id FROM questions")
    assert (number, author) == (1, USERS["xhost"][0])


def test_an_account_archive_gives_the_holders_posts_with_their_numeric_id(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    new, errors = import_x(db, write_account_archive(tmp_path / "twitter-ann.zip"))
    assert (new, errors) == (2, [])
    build_with(db, config_file(tmp_path, X_CONFIG))

    sessions, posts = sessions_and_posts(db, tmp_path)

    assert {(p["post_id"], p["author_id"]) for p in posts} == {
        ("x:1765100000000000002", USERS["ann_x"][0]),
        ("x:1765100000000000006", USERS["ann_x"][0]),
    }
    assert {k: v for k, v in sessions.items() if v} == {"2026-03-06T01:00:00Z": 1, "2026-03-13T00:00:00Z": 1}
    [(handle, name)] = rows(db, "SELECT handle, display_name FROM authors")
    assert (handle, name) == ("ann_x", "Ann on X")


def test_a_tweet_is_one_post_whatever_the_route_and_the_richest_record_wins(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    cfg = config_file(tmp_path, X_CONFIG)
    import_x(db, write_twarc_pages(tmp_path / "pages.jsonl"))
    build_with(db, cfg)
    before = rows(db, "SELECT * FROM posts ORDER BY post_id")
    # The same tweets again from poorer routes (an account archive, a TAGS sheet), then the same files again.
    import_x(db, write_tags(tmp_path / "tags.csv"))
    import_x(db, write_account_archive(tmp_path / "ann.zip"))
    build_with(db, cfg)
    raw_before = rows(db, "SELECT count(*) FROM raw_records")
    for path in ("pages.jsonl", "tags.csv", "ann.zip"):
        assert import_x(db, tmp_path / path)[0] == 0
    build_with(db, cfg)

    assert rows(db, "SELECT count(*) FROM raw_records") == raw_before
    assert rows(db, "SELECT count(*), count(DISTINCT post_id) FROM posts") == [(len(TWEETS), len(TWEETS))]
    [(replies, boosts, likes, conversation, boost_of, seen_on)] = rows(
        db,
        """SELECT replies_count, boosts_count, favourites_count, conversation_id, p2.boost_of_post_id, p.seen_on
           FROM posts p, (SELECT boost_of_post_id FROM posts WHERE post_id = 'x:1765100000000000004') p2
           WHERE p.post_id = 'x:1765100000000000002'""",
    )
    assert (replies, boosts, likes) == (1, 2, 3)  # the TAGS row had no counts and did not erase them
    assert conversation == "x:1765100000000000001"
    assert boost_of == "x:1765100000000000001"  # the real id, not TAGS's 'unknown retweet'
    assert seen_on == sorted(
        [str(tmp_path / "ann.zip"), str(tmp_path / "pages.jsonl"), str(tmp_path / "tags.csv")]
    )
    after = {r[0]: r for r in rows(db, "SELECT * FROM posts ORDER BY post_id")}
    cols = [r[0] for r in rows(db, "SELECT column_name FROM (DESCRIBE posts)")]
    for old in before:
        new = dict(zip(cols, after[old[0]], strict=True))
        for name, value in zip(cols, old, strict=True):
            if name not in ("seen_on",):
                assert new[name] == value, (old[0], name)


def test_a_chat_that_moved_from_mastodon_to_x_is_one_history(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    cfg = config_file(tmp_path, X_CONFIG)
    import_mastodon_file(db, write_instance_file(tmp_path, "a.social"), "a.social")
    build_with(db, cfg)
    mastodon_only, _ = sessions_and_posts(db, tmp_path)

    import_x(db, write_twarc_flat(tmp_path / "x.jsonl"))
    build_with(db, cfg)
    both, posts = sessions_and_posts(db, tmp_path)

    assert set(both) == set(mastodon_only) | {k for k, v in SESSION_POSTS.items() if v}
    for start, count in SESSION_POSTS.items():
        assert both[start] == mastodon_only.get(start, 0) + count
    platforms = {p["post_id"].split(":")[0] for p in posts}
    assert platforms == {"https", "x"}
    # Both hosts are the chat's hosts; ann's A1 on X answers the session's Q1 (asked first on Mastodon).
    [(by_host, answers)] = rows(
        db,
        """SELECT (SELECT by_host FROM chat_posts WHERE post_id = 'x:1765100000000000001'),
                  (SELECT answers_question FROM chat_posts WHERE post_id = 'x:1765100000000000002')""",
    )
    assert (by_host, answers) == (True, 1)


# --- capture into a real archive ---------------------------------------------------------------------------


def test_captured_pages_go_through_the_archive_and_resume_from_its_checkpoint(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    archive = Archive(db)
    query = "#ctqcollab"
    first, later = TWEETS[:3], TWEETS[3:]
    with XReplay.running("t0ken") as x:
        client = make_client("t0ken", session=x.session())
        x.queue("/2/tweets/search/recent", Reply.json(v2_page(first, twarc=False)))
        result = capture(client, archive, archive, query, sleep=lambda s: None)
        assert result.tweets == 3
        cp = archive.checkpoint(SOURCE, ORIGIN, query)
        assert (cp.newest_id, cp.oldest_id) == (first[-1].id, first[0].id)

        x.queue(
            "/2/tweets/search/recent",
            Reply.json(v2_page(later, twarc=False)),
            when={"since_id": first[-1].id},
        )
        x.queue(
            "/2/tweets/search/recent",
            Reply.json({"meta": {"result_count": 0}}),
            when={"until_id": first[0].id},
        )
        result = capture(client, archive, archive, query, sleep=lambda s: None)
        assert result.tweets == 3 and x.pending() == 0

    assert archive.checkpoint(SOURCE, ORIGIN, query).newest_id == TWEETS[-1].id
    assert rows(db, "SELECT source, kind, origin, query, count(*) FROM raw_records GROUP BY ALL") == [
        ("twitter", "page", "api.x.com", query, 2)
    ]
    assert rows(db, "SELECT posts, error IS NULL FROM capture_log ORDER BY logged_at") == [
        (3, True),
        (3, True),
    ]
    build_with(db, config_file(tmp_path, X_CONFIG))
    sessions, posts = sessions_and_posts(db, tmp_path)
    assert {k: v for k, v in sessions.items() if v} == SESSION_POSTS
    assert {p["post_id"] for p in posts} == CHAT_POST_IDS


# --- the commands ------------------------------------------------------------------------------------------


def test_the_import_commands_say_what_they_detected_and_keep_bad_lines_aside(tmp_path: Path) -> None:
    config_file(tmp_path, X_CONFIG)
    pages = write_twarc_pages(tmp_path / "pages.jsonl")
    with pages.open("a", encoding="utf-8") as f:
        f.write('{"data": [\n')  # a line cut short
    write_tags(tmp_path / "sheet.csv")
    write_account_archive(tmp_path / "ann.zip")

    r = tagtrail(tmp_path, "import", "twarc", "pages.jsonl")
    assert r.returncode == 0, r.stderr
    assert "pages.jsonl: twarc JSON Lines: twarc2 API response pages" in r.stdout
    assert "pages.jsonl: 1 new records, 0 already stored, 1 malformed kept aside" in r.stdout
    assert "pages.jsonl:2: not valid JSON" in r.stderr
    r = tagtrail(tmp_path, "import", "tags", "sheet.csv")
    assert r.returncode == 0 and "sheet.csv: 6 new records" in r.stdout, r.stderr
    r = tagtrail(tmp_path, "import", "twitter-archive", "ann.zip")
    assert r.returncode == 0 and "X account archive of @ann_x (data/tweets.js)" in r.stdout, r.stderr
    r = tagtrail(tmp_path, "import", "tags", "sheet.csv")
    assert "sheet.csv: 0 new records, 6 already stored" in r.stdout
    assert rows(tmp_path / "tagtrail.duckdb", "SELECT source, file, line, error FROM rejected_records") == [
        ("twarc", str(Path("pages.jsonl")), 2, "not valid JSON (Expecting value at column 11)")
    ]
    r = tagtrail(tmp_path, "build")
    assert r.returncode == 0, r.stderr
    r = tagtrail(tmp_path, "export", "sessions", "--chat", "CTQCollab")
    assert r.returncode == 0, r.stderr
    sessions = {row["scheduled_start_at"]: row["posts"] for row in csv_rows(tmp_path / "sessions.csv")}
    assert sessions["2026-03-06T01:00:00Z"] == "4"


def test_import_commands_refuse_another_format_or_an_unknown_file(tmp_path: Path) -> None:
    config_file(tmp_path, X_CONFIG)
    write_tags(tmp_path / "sheet.csv")
    (tmp_path / "notes.txt").write_text("hello\n", encoding="utf-8")
    line = one_line_error(tagtrail(tmp_path, "import", "twarc", "sheet.csv"))
    assert line == (
        "tagtrail: sheet.csv: this is a TAGS archive sheet (CSV), not a twarc file; use `tagtrail import tags`"
    )
    line = one_line_error(tagtrail(tmp_path, "import", "tags", "notes.txt"))
    assert line == "tagtrail: notes.txt: not twarc JSON Lines, a TAGS CSV or an X account archive"


def test_capture_without_a_token_names_the_variable(tmp_path: Path) -> None:
    config_file(tmp_path, X_CONFIG)
    env = {"TAGTRAIL_TWITTER_BEARER_TOKEN": ""}
    line = one_line_error(tagtrail(tmp_path, "capture", "twitter", "--chat", "CTQCollab", env=env))
    assert "TAGTRAIL_TWITTER_BEARER_TOKEN" in line
    line = one_line_error(tagtrail(tmp_path, "capture", "twitter", "--chat", "nope", env=env))
    assert line.startswith("tagtrail: no chat named 'nope'")
