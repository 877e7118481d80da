"""`kill -9` of a following capture at random moments, while an instance keeps posting, then a restart: the
archive ends with exactly the instance's posts, each stored once, and Ctrl-C ends the last run with a summary."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from factories import config_file, rows

from tests.conftest import ROOT
from tests.servers.mastodon_server import MastodonServer, minutes_ago

CONFIG = """
[[chats]]
name = "CTQCollab"
hashtags = ["#CTQCollab"]
"""
KILLS = 3


def start(tmp_path: Path, server: MastodonServer) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tagtrail.cli", "capture", "mastodon", "--chat", "CTQCollab"]
        + ["--instance", server.base_url, "--follow"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )


def stored(db: Path) -> list[str]:
    if not db.exists():
        return []
    return [r[0] for r in rows(db, "SELECT payload::JSON->>'uri' FROM raw_records WHERE kind = 'status'")]


def test_kill_9_at_random_moments_then_a_restart_ends_with_exactly_the_servers_posts(tmp_path: Path) -> None:
    config_file(tmp_path, CONFIG)
    db = tmp_path / "tagtrail.duckdb"
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    with MastodonServer.running() as server:
        for i in range(45):  # a back-fill of two pages to begin with
            server.post(f"earlier {i}", tags=["CTQCollab"], created_at=minutes_ago(30 - i / 2))
        posting = threading.Event()

        def keep_posting() -> None:
            n = 0
            while not posting.is_set():
                n += 1
                if n % 7 == 0:  # fetched late: an older id, never pushed to the stream
                    server.post(f"late {n}", tags=["CTQCollab"], created_at=minutes_ago(3), push=False)
                else:
                    server.post(f"live {n}", tags=["CTQCollab"])
                time.sleep(rng.uniform(0.005, 0.05))

        poster = threading.Thread(target=keep_posting, daemon=True)
        poster.start()
        for _ in range(KILLS):
            proc = start(tmp_path, server)
            time.sleep(rng.uniform(2.0, 4.0))  # the interpreter alone takes a moment to start here
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        posting.set()
        poster.join()
        expected = server.public_uris("ctqcollab")

        proc = start(tmp_path, server)
        deadline = time.monotonic() + 60
        while set(stored(db)) != expected:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, (
                f"seed {seed}: {len(expected - set(stored(db)))} posts missing"
            )
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)

    assert proc.returncode == 0, err
    assert "stopped; the next capture resumes from the checkpoints" in out
    assert f"{server.host}: " in out and "Traceback" not in err
    got = stored(db)
    assert sorted(got) == sorted(expected), f"seed {seed}"  # every post, each once
    assert rows(db, "SELECT count(*) FROM capture_log WHERE error IS NOT NULL") == [(0,)]
