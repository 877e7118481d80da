"""Mastodon capture: Mastodon.py, unpatched, over real HTTP against instances on 127.0.0.1 (tests/servers), into a
real DuckDB archive: back-fill across instances with checkpoints, the overlap re-scan, faults, opt-out, context."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import build_with, config_file, rows

from collectors.mastodon import SOURCE, InstanceStats, capture, opted_out
from collectors.mastodon_instances import Instance, parse_instance, token_env_name
from collectors.records import Checkpoint, RawRecord
from tagtrail.config import ConfigError, load_config
from tests.memory_archive import MemoryArchive
from tests.servers.mastodon_server import MastodonServer, Reply, minutes_ago
from warehouse.archive import Archive

TAG = "ctqcollab"
CONFIG = """
[[chats]]
name = "CTQCollab"
hashtags = ["#CTQCollab"]
"""


def instance(server: MastodonServer, token: str | None = None) -> Instance:
    return Instance(server.host, server.base_url, token)


def run(servers: Sequence[MastodonServer], store, **kw) -> list[InstanceStats]:  # type: ignore[no-untyped-def]
    return capture([instance(s) for s in servers], [TAG], store, store, backoff=0.05, **kw)


def stored_uris(records: Sequence[RawRecord], origin: str | None = None) -> list[str]:
    return [
        json.loads(r.payload)["uri"]
        for r in records
        if r.kind == "status" and not r.is_context and (origin is None or r.origin == origin)
    ]


@pytest.fixture
def server():
    with MastodonServer.running() as s:
        yield s


@pytest.fixture
def other():
    with MastodonServer.running() as s:
        yield s


def chat(server: MastodonServer, n: int, *, start: float = 300, tags: list[str] | None = None) -> list[dict]:
    return [
        server.post(f"post {i}", tags=tags or ["CTQCollab"], created_at=minutes_ago(start - i))
        for i in range(n)
    ]


def test_instances_and_token_variables() -> None:
    assert parse_instance("Mastodon.Social") == ("mastodon.social", "https://mastodon.social")
    assert parse_instance("http://127.0.0.1:3000/") == ("127.0.0.1:3000", "http://127.0.0.1:3000")
    with pytest.raises(ValueError, match="not an instance host"):
        parse_instance("mastodon.social/tags")
    with pytest.raises(ValueError, match="base URL"):
        parse_instance("ftp://x.org")
    assert token_env_name("hachyderm.io") == "TAGTRAIL_MASTODON_TOKEN_HACHYDERM_IO"
    assert token_env_name("127.0.0.1:3000") == "TAGTRAIL_MASTODON_TOKEN_127_0_0_1_3000"


def test_backfill_pages_through_the_whole_timeline_and_stores_each_status_verbatim(server) -> None:
    posts = chat(server, 95)
    archive = MemoryArchive()
    [stats] = run([server], archive)

    assert sorted(stored_uris(archive.records)) == sorted(p["uri"] for p in posts)
    # Verbatim: the stored payload is the status the server sent, types and all.
    first = archive.records[0]
    assert json.loads(first.payload) == server.statuses[json.loads(first.payload)["id"]]
    assert (first.source, first.kind, first.origin, first.query) == (
        SOURCE,
        "status",
        server.host,
        f"tag:{TAG}",
    )
    pages = [s for s in server.requests if s.path.endswith(f"/tag/{TAG}")]
    assert [p.params.get("limit") for p in pages] == ["40", "40", "40", "40"]
    assert "max_id" not in pages[0].params and pages[1].params["max_id"] == min(
        (p["id"] for p in posts[-40:]), key=int
    )
    cp = archive.checkpoint(SOURCE, server.host, TAG)
    assert (cp.newest_id, cp.oldest_id) == (posts[-1]["id"], posts[0]["id"])
    assert archive.checkpoint(SOURCE, server.host, f"{TAG}/floor").newest_at == datetime(
        1970, 1, 1, tzinfo=UTC
    )
    assert (stats.posts, stats.new, stats.error) == (95, 95, None)
    assert [(e.origin, e.key, e.posts, e.error) for e in archive.events] == [(server.host, TAG, 95, None)]


def test_since_stops_the_backfill_and_a_later_earlier_since_walks_further_back(server) -> None:
    posts = chat(server, 100, start=100)  # one a minute, the newest a minute ago
    archive = MemoryArchive()
    run([server], archive, since=minutes_ago(30))
    got = set(stored_uris(archive.records))
    assert {p["uri"] for p in posts[-29:]} <= got and posts[0]["uri"] not in got
    assert len(got) < 100

    run([server], archive, since=minutes_ago(200))
    assert set(stored_uris(archive.records)) == {p["uri"] for p in posts}


def test_a_later_run_catches_up_and_rescans_the_overlap_for_late_fetched_posts(server) -> None:
    chat(server, 50, start=120)
    archive = MemoryArchive()
    run([server], archive)
    before = archive.checkpoint(SOURCE, server.host, TAG)
    # New posts, and one the instance fetched late: its id comes from its publication time, behind the newest.
    new = chat(server, 5, start=10)
    late = server.post("fetched late", tags=["CTQCollab"], created_at=minutes_ago(75), push=False)
    assert int(late["id"]) < int(before.newest_id)
    old = server.post("fetched very late", tags=["CTQCollab"], created_at=minutes_ago(400), push=False)

    seen_before = len(server.requests)
    run([server], archive, overlap=timedelta(minutes=10))
    got = stored_uris(archive.records)
    assert {p["uri"] for p in new} | {late["uri"]} <= set(got)
    # Beyond the overlap window the catch-up does not go: the timeline is not re-read from the start.
    assert old["uri"] not in got
    assert len([s for s in server.requests[seen_before:] if "/timelines/" in s.path]) <= 3
    after = archive.checkpoint(SOURCE, server.host, TAG)
    assert after.newest_id == new[-1]["id"] and after.oldest_id == before.oldest_id


def test_a_crash_mid_backfill_resumes_from_the_checkpoint_without_loss_or_duplicates(
    server, tmp_path
) -> None:
    posts = chat(server, 130)
    db = tmp_path / "t.duckdb"

    class Crashing(Archive):
        writes = 0

        def write(self, records, checkpoints=()):  # type: ignore[no-untyped-def]
            Crashing.writes += 1
            if Crashing.writes == 3:
                raise RuntimeError("the process died here")  # before the third page was committed
            return super().write(records, checkpoints)

    [stats] = run([server], Crashing(db))
    assert stats.error is not None and "the process died here" in stats.error
    cp = Archive(db).checkpoint(SOURCE, server.host, TAG)
    assert cp is not None and cp.oldest_id is not None
    assert (
        Archive(db).checkpoint(SOURCE, server.host, f"{TAG}/floor") is None
    )  # the first walk did not finish

    seen = len(server.requests)
    run([server], Archive(db))
    walked = [s for s in server.requests[seen:] if "/timelines/" in s.path]
    assert any(s.params.get("max_id") == cp.oldest_id for s in walked)  # resumed where it stopped
    uris = [r[0] for r in rows(db, "SELECT payload::JSON->>'uri' FROM raw_records WHERE kind = 'status'")]
    assert sorted(uris) == sorted(p["uri"] for p in posts)  # each once


def test_two_instances_with_overlapping_posts_give_each_post_once_seen_on_both(
    server, other, tmp_path
) -> None:
    ann = server.account("ann")
    bob_remote = other.account("bob")
    shared = []
    for i in range(3):
        s = server.post(f"Q{i + 1}: shared", tags=["CTQCollab"], account=ann, created_at=minutes_ago(30 - i))
        # The same status as the other instance knows it: its own local id, the original's uri.
        other.post(
            f"Q{i + 1}: shared",
            tags=["CTQCollab"],
            account=other.account("ann", remote=server.host),
            created_at=minutes_ago(30 - i),
            uri=s["uri"],
        )
        shared.append(s["uri"])
    only_a = server.post("only on a", tags=["CTQCollab"], created_at=minutes_ago(20))
    only_b = other.post("only on b", tags=["CTQCollab"], account=bob_remote, created_at=minutes_ago(19))
    db = tmp_path / "t.duckdb"
    stats = run([server, other], Archive(db))
    assert [s.error for s in stats] == [None, None]

    build_with(db, config_file(tmp_path, CONFIG))
    seen = dict(rows(db, "SELECT post_id, list_sort(seen_on) FROM posts"))
    assert len(seen) == 5
    for uri in shared:
        assert seen[uri] == sorted([server.host, other.host])
    assert seen[only_a["uri"]] == [server.host] and seen[only_b["uri"]] == [other.host]
    assert rows(db, "SELECT count(*) FROM raw_records") == [(8,)]
    # Capturing again stores nothing new.
    run([server, other], Archive(db))
    assert rows(db, "SELECT count(*) FROM raw_records") == [(8,)]


def test_rate_limits_are_waited_out_and_server_errors_retried(server) -> None:
    posts = chat(server, 45)
    reset = str(int(time.time()) + 1)
    server.fail(
        "/api/v1/timelines/tag",
        Reply.json({"error": "Too many requests"}, 429, X_RateLimit_Remaining="0", X_RateLimit_Reset=reset),
        Reply.json({"error": "boom"}, 500),
        Reply(502, b"<html>bad gateway</html>", {"Content-Type": "text/html"}),
    )
    archive = MemoryArchive()
    states: list[str] = []
    [stats] = run([server], archive, on_change=lambda s: states.append(s.state))
    assert sorted(stored_uris(archive.records)) == sorted(p["uri"] for p in posts)
    assert stats.rate_limit_waits == 1 and stats.error is None
    assert any(s.startswith("rate limit reached") and "waiting" in s for s in states)
    assert any("HTTP 500" in s and "retrying" in s for s in states)


def test_a_used_up_rate_limit_window_is_waited_out_before_the_next_page(server) -> None:
    chat(server, 45)
    page, headers = server._timeline(TAG, {"limit": "40"})
    reset = str(int(time.time()) + 1)
    exhausted = {
        **headers,
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset,
    }
    server.replay("/api/v1/timelines/tag", Reply(200, json.dumps(page).encode(), exhausted))
    archive = MemoryArchive()
    [stats] = run([server], archive)
    # No request was refused: the wait came from the headers of an answered page.
    assert stats.rate_limit_waits == 1 and len(stored_uris(archive.records)) == 45
    assert not server.faults


def test_an_instance_that_refuses_is_reported_and_the_others_go_on(server, other) -> None:
    chat(other, 3)
    server.fail("/api/v1/timelines/tag", Reply.json({"error": "The access token is invalid"}, 401))
    archive = MemoryArchive()
    a, b = capture([instance(server, "secret-token-1"), instance(other)], [TAG], archive, archive)
    assert a.error is not None and "HTTP 401" in a.error and "secret-token-1" not in a.error
    assert b.error is None and b.posts == 3
    errors = [(e.origin, e.error) for e in archive.events if e.error]
    assert errors == [(server.host, a.error)]


def test_an_instance_that_restricts_hashtag_feeds_says_it_needs_a_token() -> None:
    with MastodonServer.running(restricted=True, token="tok-123") as server:
        chat(server, 3)
        archive = MemoryArchive()
        [stats] = run([server], archive)
        assert stats.error == (
            f"this instance shows hashtag timelines only to logged-in users: set {token_env_name(server.host)}"
        )
        assert archive.records == []
        [stats] = capture([instance(server, "tok-123")], [TAG], archive, archive)
        assert stats.error is None and stats.posts == 3
        assert all(s.authorized for s in server.requests[-2:])


def test_a_malformed_status_is_kept_aside_and_the_rest_stored(server, tmp_path) -> None:
    posts = chat(server, 4)
    server.add_raw({"id": "12", "content": "no uri, no account"}, tags=[TAG], at=minutes_ago(100))
    server.add_raw({**posts[0], "id": "13", "created_at": "yesterday", "uri": "https://x/1"}, tags=[TAG])
    db = tmp_path / "t.duckdb"
    [stats] = run([server], Archive(db))
    assert stats.rejected == 2 and stats.error is None
    assert rows(db, "SELECT count(*) FROM raw_records") == [(4,)]
    assert sorted(r[0] for r in rows(db, "SELECT error FROM rejected_records")) == [
        'bad "created_at" timestamp',
        'not a Mastodon status: no "uri"',
    ]


def test_opted_out_authors_and_private_posts_are_not_stored(server, tmp_path) -> None:
    kept = server.post("fine", tags=["CTQCollab"], account=server.account("ann", discoverable=None))
    for acc in (
        server.account("noidx", noindex=True),
        server.account("hidden", discoverable=False),
        server.account("bio", note='<p>teacher <a href="x" class="hashtag">#<span>NoBot</span></a></p>'),
        server.account("arch", note="<p>#noarchive please</p>"),
    ):
        server.post("opted out", tags=["CTQCollab"], account=acc)
    server.post("followers only", tags=["CTQCollab"], visibility="private")
    archive = MemoryArchive()
    [stats] = run([server], archive)
    assert stored_uris(archive.records) == [kept["uri"]]
    assert stats.skipped_opt_out == 4
    # respect_opt_out = false keeps them (the not-public post is never stored: the timeline does not show it).
    archive = MemoryArchive()
    [stats] = run([server], archive, respect_opt_out=False)
    assert len(stored_uris(archive.records)) == 5 and stats.skipped_opt_out == 0


def test_opt_out_reads_the_bio_as_text_and_only_an_explicit_discoverable_false() -> None:
    assert opted_out({"discoverable": False})
    assert not opted_out({"discoverable": None, "noindex": None, "note": ""})
    assert not opted_out({"note": "<p>#nobotanist</p>"})
    assert opted_out({"note": '<p><a href="https://x/tags/nobot">#<span>nobot</span></a></p>'})


def test_context_is_fetched_once_per_thread_and_stored_as_context(server) -> None:
    root = server.post("Q1: what helps?", tags=["CTQCollab"], created_at=minutes_ago(10))
    a1 = server.post("A1 without the tag", tags=[], reply_to=root, created_at=minutes_ago(9))
    a2 = server.post("A1 with the tag", tags=["CTQCollab"], reply_to=root, created_at=minutes_ago(8))
    deep = server.post("a reply to the answer", tags=[], reply_to=a1, created_at=minutes_ago(7))
    archive = MemoryArchive()
    [stats] = run([server], archive)
    contexts = [s for s in server.requests if s.path.endswith("/context")]
    assert len(contexts) == 1  # root and a2 are one thread
    context_uris = {json.loads(r.payload)["uri"] for r in archive.records if r.is_context}
    assert {a1["uri"], deep["uri"]} <= context_uris
    assert all(r.query.startswith("context:") for r in archive.records if r.is_context)
    assert set(stored_uris(archive.records)) == {root["uri"], a2["uri"]}
    assert stats.context == len([r for r in archive.records if r.is_context])

    archive = MemoryArchive()
    run([server], archive, context=False)
    assert not any(r.is_context for r in archive.records)


def test_a_checkpoint_from_another_store_is_read_not_guessed(server) -> None:
    chat(server, 3, start=30)
    archive = MemoryArchive()
    newest = max(server.statuses, key=int)
    archive.write(
        [],
        [
            Checkpoint(
                SOURCE, server.host, TAG, newest_id=newest, oldest_id=newest, newest_at=datetime.now(UTC)
            )
        ],
    )
    archive.write(
        [], [Checkpoint(SOURCE, server.host, f"{TAG}/floor", newest_at=datetime(1970, 1, 1, tzinfo=UTC))]
    )
    run([server], archive, overlap=timedelta(minutes=1))
    # Everything is within a minute of the checkpoint's newest_at (now), so the catch-up reads the top only.
    assert len([s for s in server.requests if "/timelines/" in s.path]) == 1


# --- the command ---------------------------------------------------------------------------------------------


def test_the_capture_command_backfills_the_chats_instances_with_their_tokens(server, tmp_path) -> None:
    from test_cli import tagtrail

    chat(server, 3)
    config_file(tmp_path, CONFIG + f'instances = ["{server.base_url}", "{server.base_url}/"]\n')
    env = {token_env_name(server.host): "tok-secret-9"}
    r = tagtrail(tmp_path, "capture", "mastodon", "--chat", "ctqcollab", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [f"{server.host}: 3 posts read (3 new records)"]
    assert "tok-secret-9" not in r.stdout + r.stderr
    assert rows(tmp_path / "tagtrail.duckdb", "SELECT count(*), min(origin) FROM raw_records") == [
        (3, server.host)
    ]
    # The rest in-process (the same Typer app; a subprocess costs seconds here).
    from typer.testing import CliRunner

    from tagtrail.cli import UserError, app

    base = ["--db", str(tmp_path / "tagtrail.duckdb"), "--config", str(tmp_path / "tagtrail.toml")]
    r = CliRunner().invoke(app, [*base, "status"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    table = r.output[r.output.index("Mastodon capture by chat") :]
    assert "CTQCollab" in table and server.host in table and max(server.statuses, key=int) in table

    with pytest.raises(ConfigError) as bad:
        load_config(config_file(tmp_path, CONFIG + 'instances = ["mastodon.social/@ann"]\n'))
    assert str(bad.value).endswith(
        "tagtrail.toml: chats[0].instances: 'mastodon.social/@ann' is not an instance host such as mastodon.social"
    )
    config_file(tmp_path, CONFIG)
    r = CliRunner().invoke(app, [*base, "capture", "mastodon", "--chat", "CTQCollab"])
    assert isinstance(r.exception, UserError)
    assert str(r.exception).startswith("no instances for chat 'CTQCollab': pass --instance")


# --- following ---------------------------------------------------------------------------------------------------


class Following:
    """capture(follow=True) in a thread, stopped at the end of the test."""

    def __init__(self, servers: Sequence[MastodonServer], store, **kw) -> None:  # type: ignore[no-untyped-def]
        self.stop = threading.Event()
        self.stats: list[InstanceStats] = []
        self.seen: list[InstanceStats] = [InstanceStats("")]
        self.thread = threading.Thread(
            target=lambda: self.stats.extend(
                run(servers, store, follow=True, stop=self.stop, on_change=self.seen.append, **kw)
            ),
            daemon=True,
        )
        self.thread.start()

    def stats_now(self) -> InstanceStats:
        return self.seen[-1]

    def finish(self) -> list[InstanceStats]:
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()
        return self.stats


def eventually(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the condition was not met in time"
        time.sleep(0.05)


def test_follow_streams_updates_edits_and_deletes_and_backfills_the_gap_after_a_drop(
    server, tmp_path
) -> None:
    before = chat(server, 2, start=20)
    db = tmp_path / "t.duckdb"
    archive = SharedArchive(db)
    archive.write([])
    following = Following([server], archive, overlap=timedelta(minutes=5))
    eventually(lambda: server.streams_open() == 1)
    live = server.post("Q1: live", tags=["CTQCollab"])
    eventually(lambda: live["uri"] in uris(db))
    server.edit(live["id"], "Q1: live, edited")
    answer = server.post("A1: streamed reply", tags=["CTQCollab"], reply_to=live)
    eventually(lambda: answer["uri"] in uris(db))
    gone = server.post("a mistake", tags=["CTQCollab"])
    eventually(lambda: gone["uri"] in uris(db))
    server.delete(gone["id"])
    eventually(lambda: following.stats_now().deletes == 1)

    # The stream drops; what is posted before it is back is caught by the gap back-fill, not lost.
    server.stream_drop_after = 0
    server.drop_streams()
    during = server.post("posted while disconnected", tags=["CTQCollab"], push=False)
    server.stream_drop_after = None
    eventually(lambda: during["uri"] in uris(db))
    eventually(lambda: server.streams_open() == 1)
    after = server.post("after the reconnect", tags=["CTQCollab"])
    eventually(lambda: after["uri"] in uris(db))
    [stats] = following.finish()

    assert stats.reconnects >= 1 and stats.edits == 1 and stats.deletes == 1 and stats.error is None
    assert set(uris(db)) == {p["uri"] for p in before} | {
        live["uri"],
        answer["uri"],
        gone["uri"],
        during["uri"],
        after["uri"],
    }
    # A live reply to a post already captured needs no context request: its thread is here.
    assert not [s for s in server.requests if s.path == f"/api/v1/statuses/{answer['id']}/context"]
    [(payload,)] = rows(db, "SELECT payload FROM raw_records WHERE kind = 'delete'")
    assert payload == json.dumps(gone["id"])
    # A deleted status disappears from reports; an edit keeps the latest text.
    build_with(db, config_file(tmp_path, CONFIG))
    from warehouse.reports import export

    export(db, "posts", tmp_path / "posts.csv", chat="CTQCollab")
    transcript = (tmp_path / "posts.csv").read_text(encoding="utf-8")
    assert "a mistake" not in transcript and "Q1: live, edited" in transcript
    assert "posted while disconnected" in transcript


class SharedArchive(Archive):
    """The archive, shared with the test thread that reads it while the capture writes (in one process DuckDB
    wants one connection at a time; across processes the lock retry in warehouse.db does this)."""

    lock = threading.Lock()

    def write(self, records, checkpoints=()):  # type: ignore[no-untyped-def]
        with self.lock:
            return super().write(records, checkpoints)

    def log(self, event):  # type: ignore[no-untyped-def]
        with self.lock:
            super().log(event)

    def checkpoint(self, source, origin, key):  # type: ignore[no-untyped-def]
        with self.lock:
            return super().checkpoint(source, origin, key)


def uris(db: Path) -> list[str]:
    from warehouse.db import writing

    with SharedArchive.lock, writing(db) as con:
        found = con.execute("SELECT payload::JSON->>'uri' FROM raw_records WHERE kind = 'status'").fetchall()
    return [r[0] for r in found]


def test_following_an_instance_that_is_down_at_the_start_keeps_trying_until_it_is_back(server) -> None:
    posts = chat(server, 3)
    down = Reply.json({"error": "Service Unavailable"}, 503)
    server.fail("/api/v1/timelines/tag", *[down] * 7)  # more than one request's retries
    archive = MemoryArchive()
    following = Following([server], archive)
    eventually(lambda: set(stored_uris(archive.records)) == {p["uri"] for p in posts})
    [stats] = following.finish()
    assert stats.error is None and stats.state == "stopped"
    errors = [e.error for e in archive.events if e.error]
    assert len(errors) == 1 and "failed 6 times (HTTP 503" in errors[0]


def test_follow_rescans_for_posts_the_stream_never_pushes(server) -> None:
    archive = MemoryArchive()
    following = Following([server], archive, rescan=0.3)
    eventually(lambda: following.stats_now().state == f"#{TAG}: streaming")  # the gap back-fill is done
    scans = len([s for s in server.requests if "/timelines/" in s.path])
    # A status the instance fetched late is not pushed to streams; the periodic re-scan finds it.
    late = server.post("fetched late", tags=["CTQCollab"], created_at=minutes_ago(20), push=False)
    eventually(lambda: late["uri"] in stored_uris(archive.records))
    # A malformed event is a drop like any other: reconnect, back-fill the gap, go on.
    server.push(TAG, "update", "{not json")
    eventually(lambda: following.stats_now().reconnects == 1)
    eventually(lambda: following.stats_now().state == f"#{TAG}: streaming")
    after = server.post("after the bad event", tags=["CTQCollab"])
    eventually(lambda: after["uri"] in stored_uris(archive.records))
    following.finish()
    assert len([s for s in server.requests if "/timelines/" in s.path]) > scans


def test_an_independent_mastodon_implementation_serves_backfill_context_stream_and_delete() -> None:
    """mastodon-mock (PyPI), a stateful implementation of the REST and streaming API, not written for tagtrail."""
    from mastodon import Mastodon
    from mastodon_mock.testing.server import MockServer

    with MockServer() as mock:
        alice = Mastodon(access_token="alice_token", api_base_url=mock.base_url)
        bob = Mastodon(access_token="bob_token", api_base_url=mock.base_url)
        root = alice.status_post("Q1: what helps? #CTQCollab")
        answer = bob.status_post("A1: tea", in_reply_to_id=root["id"])  # no hashtag: found as context
        alice.status_post("only followers #CTQCollab", visibility="private")
        archive = MemoryArchive()
        host = mock.base_url.split("://", 1)[1]
        stop = threading.Event()
        seen: list[InstanceStats] = []
        thread = threading.Thread(
            target=capture,
            args=([Instance(host, mock.base_url)], [TAG], archive, archive),
            kwargs={"follow": True, "stop": stop, "on_change": seen.append, "backoff": 0.05},
        )
        thread.start()
        eventually(lambda: bool(seen) and seen[-1].state == f"#{TAG}: streaming")
        live = alice.status_post("Q2: and now? #ctqcollab")
        eventually(lambda: live["uri"] in stored_uris(archive.records))
        alice.status_delete(live["id"])
        eventually(lambda: seen[-1].deletes == 1)
        stop.set()
        thread.join(10)

    assert set(stored_uris(archive.records)) == {root["uri"], live["uri"]}
    assert [json.loads(r.payload)["uri"] for r in archive.records if r.is_context] == [answer["uri"]]
    assert [r.payload for r in archive.records if r.kind == "delete"] == [json.dumps(str(live["id"]))]
    assert seen[-1].error is None


def test_status_shows_per_chat_and_instance_checkpoint_errors_posts_and_coverage(
    server, other, tmp_path
) -> None:
    from warehouse.status import archive_status

    shared = server.post("Q1: on both #CTQCollab", tags=["CTQCollab"], created_at=minutes_ago(9))
    other.post(
        "Q1: on both",
        tags=["CTQCollab"],
        created_at=minutes_ago(9),
        uri=shared["uri"],
        account=other.account("ann", remote=server.host),
    )
    chat(server, 2, start=8)
    newest_b = other.post("only on b", tags=["CTQCollab"], created_at=minutes_ago(1))
    db = tmp_path / "t.duckdb"
    run([server, other], Archive(db))
    server.fail("/api/v1/timelines/tag", Reply.json({"error": "This instance is gone"}, 410))
    run([server], Archive(db))
    build_with(db, config_file(tmp_path, CONFIG))

    st = archive_status(db, {"CTQCollab": ["ctqcollab"]})
    by_origin = {c.origin: c for c in st.chat_captures}
    a, b = by_origin[server.host], by_origin[other.host]
    assert (a.chat, a.posts, a.chat_posts, a.only_here) == ("CTQCollab", 3, 3, 2)
    assert (b.chat, b.posts, b.chat_posts, b.only_here) == ("CTQCollab", 2, 2, 1)
    assert a.last_error is not None and "HTTP 410" in a.last_error and b.last_error is None
    assert b.newest_id == newest_b["id"] and b.last_success is not None
    assert not any(c.key.endswith("/floor") for c in st.captures)
