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


# --- the recorded responses consumed by the capture (Mastodon.py over HTTP, tests/servers/mastodon_server.py) ----


def recorded(cassette: str, method: str, path_part: str) -> list[tuple[str, dict[str, str]]]:
    """(body text, headers) of the recorded 200 answers to matching requests, in order."""
    data = yaml.safe_load((CASSETTES / cassette).read_text(encoding="utf-8"))
    out = []
    for i in data["interactions"]:
        req, resp = i["request"], i["response"]
        if req["method"] == method and path_part in req["uri"] and resp["status"]["code"] == 200:
            headers = {k: v[0] for k, v in resp["headers"].items() if k.lower() in ("link", "content-type")}
            out.append((resp["body"]["string"], headers))
    return out


def test_recorded_timeline_pages_and_instance_go_through_the_capture_verbatim(tmp_path: Path) -> None:
    from collectors.mastodon import SOURCE, capture
    from collectors.mastodon_instances import Instance
    from tests.servers.mastodon_server import MastodonServer, Reply
    from warehouse.archive import Archive

    pages = recorded("test_fetch_remaining.yaml", "GET", "/timelines/tag/")
    [(instance_v2, _)] = recorded("test_fetch_remaining.yaml", "GET", "/api/v2/instance")
    statuses = [s for body, _ in pages for s in json.loads(body)]
    tag = statuses[0]["tags"][0]["name"]
    db = tmp_path / "t.duckdb"
    with MastodonServer.running() as server:
        server.replay("/api/v2/instance", Reply(200, instance_v2.encode()))
        server.replay(
            "/api/v1/timelines/tag/", *(Reply(200, body.encode(), headers) for body, headers in pages)
        )
        [stats] = capture([Instance(server.host, server.base_url)], [tag], Archive(db), Archive(db))
        # Mastodon.py followed the recorded Link headers page by page.
        asked = [s.params.get("max_id") for s in server.requests if "/timelines/" in s.path]
    assert asked == [None, "117020581339834938", "117020581259486622", "117020581178804515"]
    assert stats.error is None and stats.posts == 30
    stored = [json.loads(r[0]) for r in rows(db, "SELECT payload FROM raw_records")]
    by_id = sorted(statuses, key=lambda s: s["id"])
    assert sorted(stored, key=lambda s: s["id"]) == by_id  # each status exactly as the instance sent it
    cp = Archive(db).checkpoint(SOURCE, server.host, tag)
    assert (cp.newest_id, cp.oldest_id) == (statuses[0]["id"], statuses[-1]["id"])
    build_with(db, Config(chats=[Chat(name="fixture", hashtags=[tag])]))
    assert rows(db, "SELECT count(*), min(seen_on[1]) FROM posts") == [(30, server.host)]


def test_recorded_statuses_streamed_as_update_edit_and_delete_become_posts(tmp_path: Path) -> None:
    import threading
    import time

    from collectors.mastodon import InstanceStats, capture
    from collectors.mastodon_instances import Instance
    from tests.servers.mastodon_server import MastodonServer, Reply
    from warehouse.archive import Archive

    [(posted, _)] = recorded("test_status_edit.yaml", "POST", "/api/v1/statuses")
    [(edited, _)] = recorded("test_status_edit.yaml", "PUT", "/api/v1/statuses/")
    [(other, _), *_] = recorded("test_status_context.yaml", "POST", "/api/v1/statuses")
    [(context, _)] = recorded("test_status_context.yaml", "GET", "/context")
    [(instance_v2, _)] = recorded("test_hashtag_tl.yaml", "GET", "/api/v2/instance")
    db = tmp_path / "t.duckdb"
    stop = threading.Event()
    seen: list[str] = []
    last: list[InstanceStats] = []

    def changed(stats: InstanceStats) -> None:
        seen.append(stats.state)
        last.append(stats)

    with MastodonServer.running() as server:
        server.replay("/api/v2/instance", Reply(200, instance_v2.encode()))
        server.replay("/api/v1/statuses/", Reply(200, context.encode()))
        thread = threading.Thread(
            target=capture,
            args=([Instance(server.host, server.base_url)], ["hoot"], Archive(db), Archive(db)),
            kwargs={"follow": True, "stop": stop, "on_change": changed},
        )
        thread.start()
        deadline = time.monotonic() + 10
        while "#hoot: streaming" not in seen:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        server.push("hoot", "update", posted)
        server.push("hoot", "status.update", edited)
        server.push("hoot", "update", other)
        server.push("hoot", "delete", json.loads(other)["id"])
        server.push("hoot", "delete", "117020586180926938x")  # not an id: ignored
        deadline = time.monotonic() + 10
        while not (last and last[-1].deletes == 1):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        stop.set()
        thread.join(10)
    kinds = rows(db, "SELECT kind, payload FROM raw_records ORDER BY raw_id")
    assert [k for k, _ in kinds] == ["status", "status", "status", "delete"]
    assert [json.loads(p) for _, p in kinds[:3]] == [
        json.loads(posted),
        json.loads(edited),
        json.loads(other),
    ]
    build_with(db, Config())
    got = dict(rows(db, "SELECT post_id, CASE WHEN deleted_at IS NULL THEN text END FROM posts"))
    assert got[json.loads(posted)["uri"]] == html_to_text(json.loads(edited)["content"])
    assert "Kate" in got[json.loads(posted)["uri"]]
    assert got[json.loads(other)["uri"]] is None  # deleted
