"""The synthetic community: the same seed gives the same bytes, and importing and building it finds its ground truth."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from factories import rows
from typer.testing import CliRunner

from tagtrail.cli import app
from tagtrail.synthetic import GroundTruth, generate

POSTS = 2_000


def _digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, GroundTruth]:
    """A small generated community imported through `tagtrail import mastodon` and built with its config; its last
    sessions come in a second import and an incremental build."""
    out = tmp_path_factory.mktemp("synthetic")
    truth = generate(out / "files", posts=POSTS, seed=7, weeks=6, tail_share=0.1)
    assert 0 < truth.tail_posts < truth.posts
    db = out / "archive.duckdb"
    runner = CliRunner()
    for files in (truth.files, truth.tail_files):
        for host, name in files.items():
            r = runner.invoke(app, ["--db", str(db), "import", "mastodon", str(out / "files" / name), "--instance",
                                    host])
            assert r.exit_code == 0, r.output
        r = runner.invoke(app, ["--db", str(db), "--config", str(out / "files" / truth.config), "build"])
        assert r.exit_code == 0, r.output
    return out / "files", db, truth


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", posts=800, seed=3, weeks=3)
    b = generate(tmp_path / "b", posts=800, seed=3, weeks=3)
    generate(tmp_path / "c", posts=800, seed=4, weeks=3)
    assert a == b
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a")["teachers.example.jsonl"] != _digest(tmp_path / "c")["teachers.example.jsonl"]
    assert GroundTruth.load(tmp_path / "a" / "ground_truth.json") == a


def test_files_hold_full_statuses_with_ids_local_to_each_instance(built: tuple[Path, Path, GroundTruth]) -> None:
    files, _, truth = built
    served: dict[str, dict[str, dict]] = {}
    sizes = []
    for host in truth.instances:
        lines = (files / truth.files[host]).read_bytes().splitlines()
        assert len(lines) == truth.lines[host]
        tail = (files / truth.tail_files[host]).read_bytes().splitlines()
        assert len(tail) == truth.tail_lines[host]
        lines += tail
        for line in lines:
            sizes.append(len(line))
            item = json.loads(line)
            if "event" in item:
                assert item["event"] in {"status.update", "delete"}
                continue
            served.setdefault(item["uri"], {})[host] = item
    assert len(served) == truth.posts
    assert 2_000 <= sum(sizes) / len(sizes) <= 4_000
    uri, by_host = next((u, h) for u, h in served.items() if len(h) == 3 and h["teachers.example"]["in_reply_to_id"])
    ids = {s["id"] for s in by_host.values()}
    assert len(ids) == 3, "the same status has a different id on every instance"
    for host, status in by_host.items():
        author_home = status["account"]["url"].split("/")[2]
        assert status["account"]["acct"] == (
            status["account"]["username"] if author_home == host else f"{status['account']['username']}@{author_home}")
        parent = next(s for s in (h.get(host) for h in served.values()) if s and s["id"] == status["in_reply_to_id"])
        assert parent["account"]["id"] == status["in_reply_to_account_id"]
        assert status["mentions"][0]["acct"] == parent["account"]["acct"]


def test_import_and_build_find_the_ground_truth(built: tuple[Path, Path, GroundTruth]) -> None:
    _, db, truth = built
    [(posts, deleted, deleted_text, edited, boosts, replies)] = rows(db, """
        SELECT count(*), count(deleted_at), count(text) FILTER (WHERE deleted_at IS NOT NULL), count(edited_at),
               count(boost_of_post_id), count(*) FILTER (WHERE is_reply) FROM posts""")
    assert (posts, deleted, deleted_text, edited, boosts, replies) == (
        truth.posts, truth.deleted, 0, truth.edited, truth.boosts, truth.replies)
    assert truth.deleted > 0 and truth.edited > 0 and truth.boosts > 0
    assert dict(rows(db, "SELECT len(seen_on)::VARCHAR, count(*) FROM posts GROUP BY 1")) == truth.seen_on
    for uri, instances in truth.multi_instance_sample.items():
        assert rows(db, "SELECT seen_on FROM posts WHERE post_id = ?", [uri]) == [(sorted(instances),)]
    for uri in truth.deleted_uris_sample:
        assert rows(db, "SELECT count(*) FROM chat_posts WHERE post_id = ?", [uri]) == [(0,)]
    assert rows(db, "SELECT count(*) FROM authors") == [(truth.authors,)]
    assert sorted(r[0] for r in rows(db, "SELECT author_id FROM authors WHERE opted_out")) == sorted(
        truth.opted_out_authors)
    for chat, expected in truth.chats.items():
        assert rows(db, "SELECT count(*) FROM sessions WHERE chat = ?", [chat]) == [(expected.sessions,)], chat
        assert rows(db, "SELECT count(*), count(session_id) FROM chat_posts WHERE chat = ?", [chat]) == [
            (expected.chat_posts, expected.session_posts)], chat
        assert rows(db, "SELECT count(*) FROM questions WHERE chat = ?", [chat]) == [(expected.questions,)], chat
        assert rows(db, "SELECT count(*) FROM participants WHERE chat = ?", [chat]) == [(expected.participants,)]
        assert rows(db, "SELECT list(DISTINCT author_id) FROM chat_posts WHERE chat = ? AND by_host", [chat]) == [
            ([truth.hosts[chat]],)]


def test_the_incremental_build_of_the_last_sessions_equals_a_full_build(
    built: tuple[Path, Path, GroundTruth], tmp_path: Path
) -> None:
    # the tail brings new posts, edits, deletions, replies to older posts, posts seen again on other instances and
    # the last sessions of a scheduled and an unscheduled chat
    import shutil

    from tagtrail.config import load_config
    from warehouse.build import build, load_models

    files, db, truth = built
    tables = [m.name for m in load_models() if m.kind != "view" and not m.name.startswith("touched_")]
    copy = tmp_path / "full.duckdb"
    shutil.copy(db, copy)
    build(copy, load_config(files / truth.config, required=True), full=True)
    for table in tables:
        assert sorted(map(repr, rows(db, f"SELECT * FROM {table}"))) == sorted(
            map(repr, rows(copy, f"SELECT * FROM {table}"))), table


def test_the_script_post_is_kept_as_inert_text(built: tuple[Path, Path, GroundTruth]) -> None:
    _, db, truth = built
    [(text, html)] = rows(db, "SELECT text, html FROM posts WHERE post_id = ?", [truth.script_post_uri])
    assert "<script>alert(1)</script>" in html and 'href="javascript:' in html
    assert "alert" not in text and "<" not in text


def test_sessions_follow_the_local_schedule_across_daylight_saving(tmp_path: Path) -> None:
    truth = generate(tmp_path, posts=600, seed=2, start=date(2026, 2, 26), weeks=3)
    assert truth.chats["CTQCollab"].sessions == 3
    # CTQCollab is Thursday 20:00 New York: 01:00Z in winter, 00:00Z after the change on 2026-03-08
    db = tmp_path / "a.duckdb"
    runner = CliRunner()
    for host, name in truth.files.items():
        assert runner.invoke(app, ["--db", str(db), "import", "mastodon", str(tmp_path / name), "--instance",
                                   host]).exit_code == 0
    assert runner.invoke(app, ["--db", str(db), "--config", str(tmp_path / "tagtrail.toml"), "build"]).exit_code == 0
    starts = rows(db, "SELECT strftime(scheduled_start_at AT TIME ZONE 'UTC', '%m-%d %H:%M') FROM sessions "
                      "WHERE chat = 'CTQCollab' ORDER BY 1")
    assert [s[0] for s in starts] == ["02-27 01:00", "03-06 01:00", "03-13 00:00"]


def test_generate_command_writes_the_files_and_rejects_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["generate", str(tmp_path / "g"), "--posts", "300", "--weeks", "2", "--instances",
                            "one.example,two.example"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == [
        "ground_truth.json", "one.example.jsonl", "tagtrail.toml", "two.example.jsonl"]
    r = runner.invoke(app, ["generate", str(tmp_path / "h"), "--start", "someday"])
    assert r.exit_code != 0 and "--start" in str(r.exception)
