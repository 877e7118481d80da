"""The archive file: schema migrations, and several processes sharing it without a lock error or a lost record."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from chat_scenario import write_instance_file
from factories import rows

from warehouse import schema
from warehouse.db import connect, reading, writing

ROOT = Path(__file__).resolve().parent.parent


def test_opening_an_older_archive_upgrades_it_and_keeps_its_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "t.duckdb"
    with writing(db) as con:
        con.execute("INSERT INTO capture_log VALUES ('mastodon', 'a.social', 'tag', 3, NULL, now())")
    newer = [*schema.MIGRATIONS, "ALTER TABLE capture_log ADD COLUMN note VARCHAR;"]
    monkeypatch.setattr(schema, "MIGRATIONS", newer)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(newer))
    with writing(db) as con:
        assert con.execute("SELECT max(version) FROM schema_version").fetchone() == (len(newer),)
        assert con.execute("SELECT posts, note FROM capture_log").fetchall() == [(3, None)]


def test_an_archive_newer_than_this_tagtrail_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    with writing(db) as con:
        con.execute("INSERT INTO schema_version VALUES (999, now())")
    with pytest.raises(RuntimeError, match="newer than this tagtrail"):
        connect(db).close()


def hold_write_lock(db: Path, seconds: float) -> subprocess.Popen[str]:
    code = textwrap.dedent(f"""
        import sys, time
        from warehouse.db import writing
        with writing({str(db)!r}) as con:
            print("locked", flush=True)
            time.sleep({seconds})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_reader_waits_for_a_writer_instead_of_failing(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    connect(db).close()
    writer = hold_write_lock(db, 1.0)
    try:
        with reading(db) as con:  # opened while the other process holds the file: it waits, then reads
            assert con.execute("SELECT count(*) FROM raw_records").fetchone() == (0,)
        assert writer.wait(timeout=30) == 0
    finally:
        writer.kill()


def test_two_importing_processes_share_the_archive_and_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    files = [write_instance_file(tmp_path, host) for host in ("a.social", "b.social")]
    procs = [
        subprocess.Popen([sys.executable, "-m", "tagtrail.cli", "--db", str(db), "import", "mastodon", str(f),
                          "--instance", f.stem], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for f in files for _ in range(3)
    ]
    deadline = time.monotonic() + 120
    for p in procs:
        _, stderr = p.communicate(timeout=max(1, deadline - time.monotonic()))
        assert p.returncode == 0, stderr
    lines = sum(len(f.read_text(encoding="utf-8").splitlines()) for f in files)
    assert rows(db, "SELECT count(*) FROM raw_records") == [(lines,)]
