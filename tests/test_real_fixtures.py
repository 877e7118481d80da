"""Real responses recorded from a Mastodon server (../shared/fixtures/real/mastodon) parse into the canonical model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from conftest import SHARED_FIXTURES
from factories import build_with, rows
from test_import_mastodon import import_file

from tagtrail.config import Chat, Config
from warehouse.html_text import html_to_text

CASSETTES = SHARED_FIXTURES / "mastodon"


def bodies(cassette: str, method: str, path_part: str) -> list[Any]:
    data = yaml.safe_load((CASSETTES / cassette).read_text(encoding="utf-8"))
    out = []
    for i in data["interactions"]:
        if i["request"]["method"] == method and path_part in i["request"]["uri"] and i["response"]["status"]["code"] == 200:
            out.append(json.loads(i["response"]["body"]["string"]))
    return out


def test_hashtag_timeline_pages_become_posts(tmp_path: Path) -> None:
    pages = bodies("test_fetch_remaining.yaml", "GET", "/timelines/tag/")
    assert [len(p) for p in pages] == [10, 10, 10, 0]
    path = tmp_path / "pages.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in pages if p), encoding="utf-8")
    db = tmp_path / "t.duckdb"
    result = import_file(db, path, "localhost:3000")
    assert (result.new, result.rejected) == (30, [])
    tag = pages[0][0]["tags"][0]["name"]
    cfg = Config(chats=[Chat(name="fixture", hashtags=[tag])])
    build_with(db, cfg)
    statuses = {s["uri"]: s for page in pages for s in page}
    got = rows(db, "SELECT post_id, author_id, text, created_at, hashtags, seen_on FROM posts ORDER BY post_id")
    assert len(got) == 30
    for post_id, author_id, text, created_at, hashtags, seen_on in got:
        s = statuses[post_id]
        assert author_id == f"{s['account']['acct']}@localhost:3000"
        assert text == html_to_text(s["content"]) and text
        assert created_at.isoformat().startswith(s["created_at"][:19])
        assert hashtags == [t["name"].lower() for t in s["tags"]]
        assert seen_on == ["localhost:3000"]
    # one gap-based session holds them all, each its own thread
    assert rows(db, "SELECT count(*), sum(posts) FROM session_stats") == [(1, 30)]


def test_a_recorded_reply_links_to_its_parent(tmp_path: Path) -> None:
    posted = bodies("test_status_reply.yaml", "POST", "/api/v1/statuses")
    assert len(posted) == 2 and posted[1]["in_reply_to_id"] == posted[0]["id"]
    path = tmp_path / "reply.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in posted), encoding="utf-8")
    db = tmp_path / "t.duckdb"
    import_file(db, path, "localhost:3000")
    build_with(db, Config())
    got = rows(db, "SELECT p.in_reply_to_post_id, t.root_id, t.depth FROM posts p JOIN post_threads t USING (post_id) "
                   "WHERE post_id = ?", [posted[1]["uri"]])
    assert got == [(posted[0]["uri"], posted[0]["uri"], 1)]


def test_a_recorded_edit_keeps_the_latest_text(tmp_path: Path) -> None:
    versions = [b for b in bodies("test_status_edit.yaml", "POST", "/api/v1/statuses")] + [
        b for b in bodies("test_status_edit.yaml", "GET", "/api/v1/statuses/") if isinstance(b, dict) and "uri" in b]
    path = tmp_path / "edit.jsonl"
    # the edited version first: the order of arrival must not matter
    path.write_text("".join(json.dumps(s) + "\n" for s in reversed(versions)), encoding="utf-8")
    db = tmp_path / "t.duckdb"
    import_file(db, path, "localhost:3000")
    build_with(db, Config())
    assert rows(db, "SELECT text, edited_at IS NOT NULL FROM posts") == [
        ("the best editor? why, of course it is the KDE Advanced Text Editor, Kate", True)]


def test_the_recorded_hashtag_timeline_and_its_post_agree(tmp_path: Path) -> None:
    posted = bodies("test_hashtag_tl.yaml", "POST", "/api/v1/statuses")
    timeline = bodies("test_hashtag_tl.yaml", "GET", "/timelines/tag/hoot")[0]
    path = tmp_path / "hoot.jsonl"
    path.write_text(json.dumps(posted[0]) + "\n" + json.dumps(timeline) + "\n", encoding="utf-8")
    db = tmp_path / "t.duckdb"
    result = import_file(db, path, "localhost:3000")
    assert result.rejected == []
    build_with(db, Config(chats=[Chat(name="hoot", hashtags=["hoot"])]))
    assert rows(db, "SELECT count(*) FROM posts WHERE post_id = ?", [posted[0]["uri"]]) == [(1,)]
    assert rows(db, "SELECT text FROM posts WHERE post_id = ?", [posted[0]["uri"]]) == [("#hoot (hashtag toot)",)]
