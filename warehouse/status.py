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
class ChatCapture:
    """One chat on one instance: how far capture got and what this instance adds to the chat."""

    chat: str
    origin: str
    newest_id: str | None  # the checkpoint: the newest post captured without a gap (of the chat's hashtags)
    newest_at: datetime | None
    last_success: datetime | None
    last_error: str | None
    posts: int  # posts captured, as the capture log counts them
    chat_posts: int | None  # the chat's posts this instance served (after a build)
    only_here: int | None  # of those, how many no other instance served: this instance's coverage


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
    chat_captures: list[ChatCapture] = field(default_factory=list)


def _tables(con) -> set[str]:  # type: ignore[no-untyped-def]
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


# Per chat and instance, from the checkpoints and capture log of the chat's hashtags (keys '<tag>', and
# '<tag>/floor' kept by collectors.mastodon for how far back a back-fill is complete, left out here).
_CHAT_CAPTURES = """
WITH tags AS (
    SELECT chat, unnest(hashtags) AS key FROM _chat_tags
), cps AS (
    SELECT t.chat, c.origin, arg_max(c.newest_id, c.newest_at) AS newest_id, max(c.newest_at) AS newest_at
    FROM checkpoints c JOIN tags t ON c.key = t.key WHERE c.source = 'mastodon' GROUP BY ALL
), logs AS (
    SELECT t.chat, l.origin,
           max(l.logged_at) FILTER (WHERE l.error IS NULL) AS last_success,
           arg_max(l.error, l.logged_at) AS last_message,
           max(l.logged_at) FILTER (WHERE l.error IS NOT NULL) AS last_error_at,
           sum(l.posts) AS posts
    FROM capture_log l JOIN tags t ON l.key = t.key WHERE l.source = 'mastodon' GROUP BY ALL
){coverage}
SELECT coalesce(cps.chat, logs.chat) AS chat, coalesce(cps.origin, logs.origin) AS origin,
       cps.newest_id, cps.newest_at, logs.last_success,
       CASE WHEN logs.last_error_at >= coalesce(logs.last_success, logs.last_error_at) THEN logs.last_message END,
       coalesce(logs.posts, 0), {coverage_columns}
FROM cps FULL JOIN logs USING (chat, origin)
{coverage_join}
ORDER BY 1, 2
"""

_CHAT_COVERAGE = """
, seen AS (
    SELECT cp.chat, unnest(p.seen_on) AS origin, len(p.seen_on) = 1 AS alone
    FROM chat_posts cp JOIN posts p USING (post_id)
), cov AS (
    SELECT chat, origin, count(*) AS chat_posts, count(*) FILTER (WHERE alone) AS only_here FROM seen GROUP BY ALL
)"""


def _chat_captures(con, chats: dict[str, list[str]], built: bool) -> list[ChatCapture]:  # type: ignore[no-untyped-def]
    if not chats:
        return []
    import pyarrow as pa

    con.register("_chat_tags", pa.table({"chat": list(chats), "hashtags": list(chats.values())}))
    try:
        sql = _CHAT_CAPTURES.format(
            coverage=_CHAT_COVERAGE if built else "",
            coverage_columns="cov.chat_posts, cov.only_here" if built else "NULL, NULL",
            coverage_join="LEFT JOIN cov ON cov.chat = coalesce(cps.chat, logs.chat) "
            "AND cov.origin = coalesce(cps.origin, logs.origin)"
            if built
            else "",
        )
        return [ChatCapture(*r) for r in con.execute(sql).fetchall()]
    finally:
        con.unregister("_chat_tags")


def archive_status(db: Path | str, chat_tags: dict[str, list[str]] | None = None) -> ArchiveStatus:
    """What the archive holds; with `chat_tags` (chat name -> hashtags), also capture per chat and instance."""
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
               WHERE NOT (coalesce(c.source, l.source) = 'mastodon' AND coalesce(c.key, l.key) LIKE '%/floor')
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
        chat_captures = _chat_captures(con, chat_tags or {}, built)
    return ArchiveStatus(
        built=built,
        chat_captures=chat_captures,
        sources=[SourceStatus(*r) for r in sources],
        captures=[CaptureStatus(*r) for r in captures],
        chats=[ChatStatus(*r) for r in chats],
    )
