"""A following capture rebuilds the marts beside itself, so what a reader (the dashboard) sees keeps up with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from chat_scenario import write_instance_file
from factories import config_file, rows
from test_import_mastodon import import_file

from tagtrail.config import load_config
from tagtrail.live_build import LiveBuilder
from tests.conftest import ROOT
from tests.servers.mastodon_server import MastodonServer, minutes_ago
from warehouse.build import latest_raw_id

CONFIG = """
[[chats]]
name = "CTQCollab"
hashtags = ["#CTQCollab"]
"""


def chat_post_texts(db: Path) -> set[str]:
    """What a dashboard process reads: the built marts (absent until the first build)."""
    if not db.exists():
        return set()
    built = rows(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'chat_posts'")[0][0]
    if not built:
        return set()
    return {r[0] for r in rows(db, "SELECT p.text FROM chat_posts c JOIN posts p USING (post_id)")}


def wait_for(what: str, check, proc: subprocess.Popen[str], seconds: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not check():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, f"not seen within {seconds} s: {what}"
        time.sleep(0.3)


def test_a_following_capture_keeps_the_marts_up_to_date_for_readers(tmp_path: Path) -> None:
    config_file(tmp_path, CONFIG)
    db = tmp_path / "tagtrail.duckdb"
    with MastodonServer.running() as server:
        for i in range(3):
            server.post(f"Q{i + 1}: earlier question", tags=["CTQCollab"], created_at=minutes_ago(10 - i))
        proc = subprocess.Popen(
            [sys.executable, "-m", "tagtrail.cli", "capture", "mastodon", "--chat", "CTQCollab"]
            + ["--instance", server.base_url, "--follow", "--build-every", "1"],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
        )
        try:
            wait_for("the back-filled posts in the marts", lambda: len(chat_post_texts(db)) == 3, proc)
            server.post("A1: a live answer", tags=["CTQCollab"])
            wait_for("the streamed post in the marts", lambda: any(t.startswith("A1: a live answer") for t in chat_post_texts(db)), proc)
        finally:
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "stopped; the next capture resumes from the checkpoints" in out and "Traceback" not in err
    assert len(chat_post_texts(db)) == 4


def test_the_live_builder_builds_only_when_new_records_arrived(tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path))
    db = tmp_path / "tagtrail.duckdb"
    import_file(db, write_instance_file(tmp_path, "a.social"), "a.social")
    reports = []
    builder = LiveBuilder(db, config, every=3600, on_build=lambda r, e: reports.append((r, e)))
    first = builder.build_if_new()
    assert first is not None and first.rows["posts"] > 0
    assert builder.build_if_new() is None  # nothing new: no build
    assert builder.builds == 1 and [e for _, e in reports] == [None]
    assert rows(db, "SELECT coalesce(max(raw_id), 0) FROM raw_records") == [(latest_raw_id(db),)]
