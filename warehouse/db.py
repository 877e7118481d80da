"""The one way to open the archive: short-lived DuckDB connections that wait politely for the file lock.

DuckDB lets one process write a file at a time, and while it does no other process may open it at all. Every
writer here holds the file only for a short batch; every reader opens read-only, briefly. Both retry on a lock
instead of failing, so capture, the dashboard and exports can run at the same time.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse.schema import migrate

DEFAULT_DB = "tagtrail.duckdb"
LOCK_WAIT_SECONDS = float(os.environ.get("TAGTRAIL_LOCK_WAIT", "120"))


class ArchiveError(RuntimeError):
    """A problem with the archive file, phrased for the user on one line."""


def default_db_path() -> Path:
    return Path(os.environ.get("TAGTRAIL_DB", DEFAULT_DB))


def _is_lock_error(e: Exception) -> bool:
    text = str(e)
    return "lock" in text.lower() and ("Could not set lock" in text or "Conflicting lock" in text)


def connect(path: Path | str, *, read_only: bool = False, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the archive, retrying while another process holds its lock; writers migrate the schema."""
    path = Path(path)
    if read_only and not path.exists():
        raise ArchiveError(f"{path}: no archive here yet (import or capture something first)")
    deadline = time.monotonic() + (LOCK_WAIT_SECONDS if wait is None else wait)
    delay = 0.02
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as e:
            if not _is_lock_error(e) or time.monotonic() >= deadline:
                if _is_lock_error(e):
                    raise ArchiveError(f"{path}: the archive stayed locked by another process") from None
                raise ArchiveError(f"{path}: cannot open the archive: {e}") from None
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.5)
        except duckdb.Error as e:
            raise ArchiveError(f"{path}: cannot open the archive: {e}") from None
    con.execute("SET TimeZone = 'UTC'")
    if not read_only:
        migrate(con)
    return con


@contextmanager
def writing(path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write transaction on a connection that is closed (and the lock released) right after."""
    with _in_process(path):
        con = connect(path)
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            con.close()


@contextmanager
def reading(path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, closed right after."""
    with _in_process(path):
        con = connect(path, read_only=True)
        try:
            yield con
        finally:
            con.close()


_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()


def _in_process(path: Path | str) -> threading.RLock:
    """One transaction at a time per archive within this process (a capture's threads, its live rebuilds).

    DuckDB refuses a read-only connection to a file this process has open for writing, and two write
    transactions of one process would conflict on the same tables; taking turns avoids both.
    """
    key = str(Path(path).resolve())
    with _locks_guard:
        return _locks.setdefault(key, threading.RLock())
