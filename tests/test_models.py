"""The analysis on a small community with known answers: canonical posts, sessions across DST, threads,
questions and answers, participation, newcomers, retention, deletions, and rebuilds that change nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from chat_scenario import Post, account_local_id, local_id, render, uri, write_instance_file
from factories import CTQ_CONFIG, build_with, config_file, rows, status, write_jsonl
from test_import_mastodon import import_file

from tagtrail.config import load_config
from warehouse.build import load_models

# every table the build makes, but the per-build lists of what it touched (touched_posts, touched_sessions)
MARTS = [m.name for m in load_models() if m.kind != "view" and not m.name.startswith("touched_")]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("scenario")
    db = tmp / "t.duckdb"
    cfg = config_file(tmp)
    import_file(db, write_instance_file(tmp, "a.social"), "a.social")
    build_with(db, cfg)  # a first build, then an incremental one: the marts must equal a build from scratch
    import_file(db, write_instance_file(tmp, "b.social"), "b.social")
    build_with(db, cfg)
    return db


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_same_status_from_two_instances_is_one_post_seen_on_both(archive: Path) -> None:
    [(count, seen_on)] = rows(archive, "SELECT count(*), any_value(seen_on) FROM posts WHERE post_id = ?", [uri(1)])
    assert (count, seen_on) == (1, ["a.social", "b.social"])
    assert rows(archive, "SELECT count(*) FROM posts") == [(15,)]


def test_local_ids_are_mapped_through_the_serving_instance(archive: Path) -> None:
    got = rows(archive, "SELECT in_reply_to_post_id, in_reply_to_author_id, author_id FROM posts WHERE post_id = ?",
               [uri(3)])
    assert got == [(uri(2), "ann@a.social", "bob@b.social")]


def test_a_local_accounts_bare_acct_is_qualified_with_the_instance_host(archive: Path) -> None:
    authors = {r[0] for r in rows(archive, "SELECT author_id FROM authors")}
    assert authors == {"host@a.social", "ann@a.social", "bob@b.social", "cat@b.social", "dan@c.social"}


def test_an_edit_keeps_the_text_of_the_latest_edit(archive: Path) -> None:
    got = rows(archive, "SELECT text, edited_at FROM posts WHERE post_id = ?", [uri(8)])
    assert got == [("A1 more sleep, and reading #CTQCollab", utc("2026-03-13T00:20:00"))]


def test_plain_text_comes_from_the_html(archive: Path) -> None:
    assert rows(archive, "SELECT text, html FROM posts WHERE post_id = ?", [uri(6)]) == [
        ("Lurking early tonight #CTQCollab", "<p>Lurking early tonight #CTQCollab</p>")]


def test_sessions_follow_local_time_across_a_daylight_saving_change(archive: Path) -> None:
    got = rows(archive, "SELECT session_id, start_at, end_at, scheduled_start_at, local_date FROM sessions ORDER BY 2")
    assert [(g[0], g[1], g[2], g[3], str(g[4])) for g in got] == [
        ("CTQCollab-2026-03-05", utc("2026-03-06T00:45"), utc("2026-03-06T02:30"), utc("2026-03-06T01:00"),
         "2026-03-05"),
        ("CTQCollab-2026-03-12", utc("2026-03-12T23:45"), utc("2026-03-13T01:30"), utc("2026-03-13T00:00"),
         "2026-03-12"),
        ("CTQCollab-2026-03-19", utc("2026-03-19T23:45"), utc("2026-03-20T01:30"), utc("2026-03-20T00:00"),
         "2026-03-19"),
    ]


def test_a_tagless_reply_joins_its_roots_chat_and_session(archive: Path) -> None:
    got = rows(archive, "SELECT session_id, via, thread_root_id, depth FROM chat_posts WHERE post_id = ?", [uri(3)])
    assert got == [("CTQCollab-2026-03-05", "thread", uri(1), 2)]


def test_a_tagless_post_outside_any_thread_is_not_in_the_chat(archive: Path) -> None:
    assert rows(archive, "SELECT count(*) FROM chat_posts WHERE post_id = ?", [uri(12)]) == [(0,)]


def test_posts_between_sessions_are_kept_without_a_session(archive: Path) -> None:
    assert rows(archive, "SELECT session_id, via FROM chat_posts WHERE post_id = ?", [uri(11)]) == [(None, "tag")]


def test_a_lead_in_post_belongs_to_the_session(archive: Path) -> None:
    assert rows(archive, "SELECT session_id FROM chat_posts WHERE post_id = ?", [uri(6)]) == [
        ("CTQCollab-2026-03-05",)]


def test_questions_are_the_hosts_numbered_posts_and_answers_find_them(archive: Path) -> None:
    got = rows(archive, "SELECT session_id, number, post_id, answers, answerers FROM questions ORDER BY asked_at")
    assert got == [
        ("CTQCollab-2026-03-05", 1, uri(1), 1, 1),
        ("CTQCollab-2026-03-05", 2, uri(4), 1, 1),  # answered by '@host A2:' which is not a reply
        ("CTQCollab-2026-03-12", 1, uri(7), 1, 1),
        ("CTQCollab-2026-03-19", 1, uri(13), 1, 1),
    ]
    answers = rows(archive, "SELECT post_id, answers_question FROM chat_posts WHERE answers_question IS NOT NULL "
                            "ORDER BY created_at")
    assert answers == [(uri(2), 1), (uri(5), 2), (uri(8), 1), (uri(14), 1)]
    assert rows(archive, "SELECT is_question FROM chat_posts WHERE post_id = ?", [uri(10)]) == [(False,)]


def test_a_deleted_post_drops_out_of_every_mart(archive: Path) -> None:
    assert rows(archive, "SELECT text, html, deleted_at IS NOT NULL FROM posts WHERE post_id = ?", [uri(15)]) == [
        (None, None, True)]
    for table in ("chat_posts", "chat_memberships"):
        assert rows(archive, f"SELECT count(*) FROM {table} WHERE post_id = ?", [uri(15)]) == [(0,)]
    assert rows(archive, "SELECT posts FROM participation WHERE author_id = 'cat@b.social' "
                         "AND session_id = 'CTQCollab-2026-03-19'") == [(1,)]


def test_session_figures(archive: Path) -> None:
    got = rows(archive, """SELECT session_id, posts, participants, newcomers, "returning", replies, questions,
                                  median_first_reply_minutes FROM session_stats ORDER BY start_at""")
    assert got == [
        ("CTQCollab-2026-03-05", 6, 4, 4, 0, 2, 2, 3.5),
        ("CTQCollab-2026-03-12", 4, 4, 1, 3, 1, 1, 5.0),
        ("CTQCollab-2026-03-19", 2, 2, 0, 2, 0, 1, None),
    ]


def test_interactions_count_replies_and_mentions_but_not_the_automatic_reply_mention(archive: Path) -> None:
    got = rows(archive, "SELECT session_id, source_author_id, target_author_id, kind, count FROM interactions "
                        "ORDER BY 1, 2, 3, 4")
    assert got == [
        ("CTQCollab-2026-03-05", "ann@a.social", "host@a.social", "reply", 1),
        ("CTQCollab-2026-03-05", "bob@b.social", "ann@a.social", "reply", 1),
        ("CTQCollab-2026-03-05", "bob@b.social", "host@a.social", "mention", 1),
        ("CTQCollab-2026-03-12", "ann@a.social", "host@a.social", "reply", 1),
    ]


def test_newcomer_outcomes(archive: Path) -> None:
    got = rows(archive, """SELECT author_id, first_session_id, got_reply, first_replier_id, minutes_to_first_reply,
                                  returned, next_session_id FROM newcomer_outcomes ORDER BY author_id""")
    assert got == [
        ("ann@a.social", "CTQCollab-2026-03-05", True, "bob@b.social", 2.0, True, "CTQCollab-2026-03-12"),
        ("bob@b.social", "CTQCollab-2026-03-05", False, None, None, True, "CTQCollab-2026-03-12"),
        ("cat@b.social", "CTQCollab-2026-03-05", False, None, None, True, "CTQCollab-2026-03-19"),
        ("dan@c.social", "CTQCollab-2026-03-12", False, None, None, False, None),
        ("host@a.social", "CTQCollab-2026-03-05", True, "ann@a.social", 5.0, True, "CTQCollab-2026-03-12"),
    ]


def test_retention_by_first_session_cohort(archive: Path) -> None:
    got = rows(archive, "SELECT cohort_session, cohort_size, sessions_later, present, share FROM retention "
                        "ORDER BY 1, 3")
    assert got == [
        ("CTQCollab-2026-03-05", 4, 1, 3, 0.75),
        ("CTQCollab-2026-03-05", 4, 2, 2, 0.5),
        ("CTQCollab-2026-03-12", 1, 1, 0, 0.0),
    ]


def test_participants_and_roles(archive: Path) -> None:
    got = rows(archive, """SELECT author_id, sessions_attended, posts, replies_sent, replies_received,
                                  distinct_partners, role FROM participants ORDER BY author_id""")
    assert got == [
        ("ann@a.social", 2, 3, 2, 1, 2, "occasional"),
        ("bob@b.social", 2, 3, 1, 0, 2, "occasional"),
        ("cat@b.social", 2, 2, 0, 0, 0, "occasional"),
        ("dan@c.social", 1, 1, 0, 0, 0, "one-time"),
        ("host@a.social", 3, 4, 0, 2, 2, "host"),
    ]


def test_rebuilding_from_scratch_gives_exactly_the_same_marts(archive: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy.duckdb"
    shutil.copy(archive, copy)
    before = {t: sorted(map(repr, rows(copy, f"SELECT * FROM {t}"))) for t in MARTS}
    build_with(copy, load_config(config_file(tmp_path), required=True), full=True)
    after = {t: sorted(map(repr, rows(copy, f"SELECT * FROM {t}"))) for t in MARTS}
    for table in MARTS:
        assert after[table] == before[table], table
    # and a build with nothing new changes nothing either
    build_with(copy, load_config(config_file(tmp_path), required=True))
    assert {t: sorted(map(repr, rows(copy, f"SELECT * FROM {t}"))) for t in MARTS} == before


def test_the_network_layout_made_by_incremental_builds_equals_a_full_builds(archive: Path, tmp_path: Path) -> None:
    import shutil

    # the fixture's archive was built twice, the second time incrementally after b.social's posts
    query = "SELECT scope, author_id, x, y FROM network_people WHERE x IS NOT NULL ORDER BY ALL"
    placed = rows(archive, query)
    assert {(scope, author) for scope, author, _, _ in placed} == {
        (scope, author) for scope in ("CTQCollab", None) for author in ("host@a.social", "ann@a.social", "bob@b.social")}
    copy = tmp_path / "copy.duckdb"
    shutil.copy(archive, copy)
    build_with(copy, load_config(config_file(tmp_path), required=True), full=True)
    assert rows(copy, query) == placed  # to the last bit: the layout is seeded and its input ordered


def test_an_incremental_model_whose_sql_changed_is_rebuilt_not_appended(
    archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from warehouse import build as build_module

    copy = tmp_path / "copy.duckdb"
    shutil.copy(archive, copy)
    models = build_module.load_models()
    changed = [
        m if m.name != "stg_mastodon_posts" else type(m)(m.name, m.path, m.materialized,
                                                        m.sql.replace("'mastodon' AS platform", "'mastodon-v2' AS platform"),
                                                        m.depends_on)
        for m in models
    ]
    assert any("mastodon-v2" in m.sql for m in changed)
    monkeypatch.setattr(build_module, "load_models", lambda: changed)
    before = rows(copy, "SELECT count(*) FROM stg_mastodon_posts")
    build_with(copy, load_config(config_file(tmp_path), required=True))
    # every row was made again by the new SQL: none left from the old one, none doubled
    assert rows(copy, "SELECT platform, count(*) FROM stg_mastodon_posts GROUP BY ALL") == [("mastodon-v2", before[0][0])]


def test_building_after_each_small_import_gives_the_same_marts_as_one_full_build(tmp_path: Path) -> None:
    # deletions first, then replies, then the posts they reply to: incremental builds meet parents, their accounts
    # and deleted statuses only after what refers to them
    db = tmp_path / "t.duckdb"
    cfg = load_config(config_file(tmp_path), required=True)
    lines = write_instance_file(tmp_path, "a.social").read_text(encoding="utf-8").splitlines(keepends=True)
    deletes = [x for x in lines if '"event": "delete"' in x]
    replies = [x for x in lines if x not in deletes and '"in_reply_to_id": null' not in x]
    for i, part in enumerate([deletes, replies, [x for x in lines if x not in deletes and x not in replies]]):
        (tmp_path / f"part{i}.jsonl").write_text("".join(part), encoding="utf-8")
        import_file(db, tmp_path / f"part{i}.jsonl", "a.social")
        build_with(db, cfg)
    incremental = {t: sorted(map(repr, rows(db, f"SELECT * FROM {t}"))) for t in MARTS}
    build_with(db, cfg, full=True)
    assert rows(db, "SELECT count(*) FROM posts WHERE in_reply_to_post_id IS NOT NULL")[0][0] > 0
    assert rows(db, "SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL")[0][0] > 0
    for table in MARTS:
        assert sorted(map(repr, rows(db, f"SELECT * FROM {table}"))) == incremental[table], table


# A second chat on the same hashtag, with no schedule (a session ends after a 30-minute silence) and no configured
# host (the host is whoever asks the most questions): every post is in two chats and sessions move as posts arrive.
TWO_CHATS = CTQ_CONFIG + """
[[chats]]
name = "CTQGap"
hashtags = ["#CTQCollab"]
gap = "30m"
"""

# What comes a week or more later: a reply to the newcomer dan's first post (tagless: it joins that thread's session),
# dan's return, a new session with a new question, and (below) cat opting out, which takes her posts and the threads
# she started out of every mart.
LATER = [
    Post(16, "ann", "2026-03-20T00:30:00.000Z", "@dan welcome!", reply_to=9, tags=(), mentions=("dan",)),
    Post(17, "dan", "2026-03-20T00:10:00.000Z", "Back again #CTQCollab"),
    Post(18, "host", "2026-03-27T00:05:00.000Z", "Q1: One more week? #CTQCollab"),
    Post(19, "cat", "2026-03-27T00:08:00.000Z", "A1 yes #CTQCollab", reply_to=13),
]


def _line_time(line: str) -> str:
    item = json.loads(line)
    if item.get("event") == "delete":
        return "9999"  # deletions come after what they delete
    return (item.get("payload") or item)["created_at"]


@pytest.mark.parametrize("order", ["oldest first", "newest first"])
def test_building_after_each_import_in_time_order_gives_the_same_marts_as_one_full_build(
    tmp_path: Path, order: str
) -> None:
    # oldest first: new sessions, newcomers, returns and late replies arrive as they happened; newest first: replies
    # and later sessions before the posts they reply to and the sessions before them
    from chat_scenario import POSTS

    db = tmp_path / "t.duckdb"
    cfg = load_config(config_file(tmp_path, TWO_CHATS), required=True)
    lines = write_instance_file(tmp_path, "a.social").read_text(encoding="utf-8").splitlines(keepends=True)
    lines.sort(key=_line_time, reverse=order == "newest first")
    later = tmp_path / "later.jsonl"
    POSTS.extend(LATER)  # render() finds parents among POSTS
    try:
        opting_out = status(
            n=20, user="cat", home="b.social", serving="a.social", local_id=local_id("a.social", 20),
            created_at="2026-03-27T00:09:00.000Z", html="<p>Signing off #CTQCollab</p>",
            account_id=account_local_id("a.social", "cat"), account_extra={"note": "<p>#nobot</p>"})
        write_jsonl(later, [render(p, "a.social") for p in LATER] + [opting_out])
    finally:
        del POSTS[-len(LATER):]
    parts = [lines[i:i + 4] for i in range(0, len(lines), 4)]
    for i, part in enumerate(parts):
        (tmp_path / f"part{i}.jsonl").write_text("".join(part), encoding="utf-8")
        import_file(db, tmp_path / f"part{i}.jsonl", "a.social")
        build_with(db, cfg)
    import_file(db, write_instance_file(tmp_path, "b.social"), "b.social")  # posts seen again, an edit, a delete
    build_with(db, cfg)
    import_file(db, later, "a.social")
    build_with(db, cfg)
    incremental = {t: sorted(map(repr, rows(db, f"SELECT * FROM {t}"))) for t in MARTS}
    build_with(db, cfg, full=True)
    assert rows(db, "SELECT count(*) FROM sessions WHERE chat = 'CTQCollab'") == [(4,)]
    assert rows(db, "SELECT got_reply, returned FROM newcomer_outcomes WHERE chat = 'CTQCollab' AND author_id = ?",
                ["dan@c.social"]) == [(True, True)]
    assert rows(db, "SELECT count(*) FROM chat_posts WHERE author_id = 'cat@b.social'") == [(0,)]
    for table in MARTS:
        assert sorted(map(repr, rows(db, f"SELECT * FROM {table}"))) == incremental[table], table


def test_a_build_after_the_configuration_changed_gives_the_same_marts_as_a_full_build(
    archive: Path, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "copy.duckdb"
    shutil.copy(archive, copy)
    changed = load_config(config_file(tmp_path, TWO_CHATS.replace('hosts = ["host@a.social"]', "")), required=True)
    build_with(copy, changed)  # a new chat, and a chat whose host is no longer configured
    incremental = {t: sorted(map(repr, rows(copy, f"SELECT * FROM {t}"))) for t in MARTS}
    build_with(copy, changed, full=True)
    assert rows(copy, "SELECT count(DISTINCT chat) FROM chat_posts") == [(2,)]
    for table in MARTS:
        assert sorted(map(repr, rows(copy, f"SELECT * FROM {table}"))) == incremental[table], table
