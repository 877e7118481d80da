"""What the archive holds, for `tagtrail status` and the dashboard's capture page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from warehouse.db import reading


@dataclass(frozen=True)
class SourceStatus:
    source: str
    origin: str
    records: int
    rejected: int
    posts: int | None  # distinct canonical posts this origin served (after a build)
    only_here: int | None  # of those, how many no other origin served: this origin's coverage
    last_fetched: datetime | None


@dataclass(frozen=True)
class CaptureStatus:
    source: str
    origin: str
    key: str
    checkpoint: str | None
    last_success: datetime | None
    last_error: str | None
    posts: int


@dataclass(frozen=True)
class ChatStatus:
    chat: str
    sessions: int
    posts: int
    participants: int
    first: datetime | None
    last: datetime | None


@dataclass
class ArchiveStatus:
    built: bool
    sources: list[SourceStatus] = field(default_factory=list)
    captures: list[CaptureStatus] = field(default_factory=list)
    chats: list[ChatStatus] = field(default_factory=list)


def _tables(con) -> set[str]:  # type: ignore[no-untyped-def]
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def archive_status(db: Path | str) -> ArchiveStatus:
    with reading(db) as con:
        tables = _tables(con)
        built = "posts" in tables and "chat_posts" in tables
        coverage = ""
        if built:
            coverage = """
            , served AS (
                SELECT unnest(seen_on) AS origin, post_id, len(seen_on) = 1 AS alone FROM posts
            ), cov AS (
                SELECT origin, count(*) AS posts, count(*) FILTER (WHERE alone) AS only_here FROM served GROUP BY ALL
            )"""
        sources = con.execute(
            f"""WITH raw AS (
                    SELECT source, origin, count(*) AS records, max(fetched_at) AS last_fetched
                    FROM raw_records GROUP BY ALL
                ), rej AS (
                    SELECT source, origin, count(*) AS rejected FROM rejected_records GROUP BY ALL
                ){coverage}
                SELECT coalesce(raw.source, rej.source), coalesce(raw.origin, rej.origin),
                       coalesce(raw.records, 0), coalesce(rej.rejected, 0),
                       {'cov.posts, cov.only_here' if built else 'NULL, NULL'}, raw.last_fetched
                FROM raw FULL JOIN rej USING (source, origin)
                {'LEFT JOIN cov ON cov.origin = coalesce(raw.origin, rej.origin)' if built else ''}
                ORDER BY 1, 2"""
        ).fetchall()
        captures = con.execute(
            """WITH log AS (
                   SELECT source, origin, key,
                          max(logged_at) FILTER (WHERE error IS NULL) AS last_success,
                          arg_max(error, logged_at) AS last_message,
                          max(logged_at) FILTER (WHERE error IS NOT NULL) AS last_error_at,
                          sum(posts) AS posts
                   FROM capture_log GROUP BY ALL
               )
               SELECT coalesce(c.source, l.source), coalesce(c.origin, l.origin), coalesce(c.key, l.key),
                      c.newest_id, l.last_success,
                      CASE WHEN l.last_error_at >= coalesce(l.last_success, l.last_error_at) THEN l.last_message END,
                      coalesce(l.posts, 0)
               FROM checkpoints c FULL JOIN log l USING (source, origin, key)
               ORDER BY 1, 2, 3"""
        ).fetchall()
        chats = []
        if built:
            chats = con.execute(
                """SELECT c.chat,
                          (SELECT count(*) FROM sessions s WHERE s.chat = c.chat),
                          (SELECT count(*) FROM chat_posts p WHERE p.chat = c.chat),
                          (SELECT count(*) FROM participants p WHERE p.chat = c.chat),
                          (SELECT min(start_at) FROM sessions s WHERE s.chat = c.chat),
                          (SELECT max(start_at) FROM sessions s WHERE s.chat = c.chat)
                   FROM chats c ORDER BY c.chat"""
            ).fetchall()
    return ArchiveStatus(
        built=built,
        sources=[SourceStatus(*r) for r in sources],
        captures=[CaptureStatus(*r) for r in captures],
        chats=[ChatStatus(*r) for r in chats],
    )
