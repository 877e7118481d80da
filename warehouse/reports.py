"""CSV reports from the marts, safe to open in Excel and R.

Every report is UTF-8 with one header row (a byte-order mark with excel=True so Excel reads UTF-8). Ids are text.
A text cell that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) is prefixed with an
apostrophe so it is shown, never run. Times are UTC ISO 8601. With pseudonymize, author ids, handles, names,
post ids and @mentions inside text become stable keyed hashes (HMAC-SHA256 with a key that never enters the
archive), and URLs, which name people, are left out.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.db import reading


@dataclass(frozen=True)
class Report:
    sql: str
    time_column: str  # what --since/--until filter on
    order: str


_POSTS = """
SELECT c.chat, c.session_id, c.post_id, p.platform, p.url, c.created_at, p.edited_at, c.author_id, a.handle,
       p.text, c.in_reply_to_post_id, c.in_reply_to_author_id, c.thread_root_id, c.depth, c.via,
       c.is_question, c.question_number, c.answers_question, p.lang, p.hashtags, p.seen_on,
       p.replies_count, p.boosts_count, p.favourites_count
FROM chat_posts c JOIN posts p USING (post_id) LEFT JOIN authors a ON a.author_id = c.author_id
"""

REPORTS: dict[str, Report] = {
    "sessions": Report(
        """SELECT chat, session_id, session_number, start_at, end_at, scheduled_start_at, local_date, posts,
                  participants, newcomers, "returning", replies, questions, answers, median_first_reply_minutes
           FROM session_stats""",
        "start_at", "chat, start_at",
    ),
    "participants": Report(
        """SELECT chat, author_id, handle, display_name, first_session, last_session, sessions_attended, posts,
                  replies_sent, replies_received, distinct_partners, attendance_share, role, first_post_at,
                  last_post_at
           FROM participants""",
        "last_post_at", "chat, posts DESC, author_id",
    ),
    "posts": Report(_POSTS, "created_at", "chat, created_at, post_id"),
    "threads": Report(
        """SELECT t.chat, t.session_id, t.thread_root_id, t.root_author_id, t.started_at, t.last_post_at, t.posts,
                  t.replies, t.participants, t.max_depth, p.text AS root_text
           FROM thread_stats t JOIN posts p ON p.post_id = t.thread_root_id""",
        "started_at", "chat, started_at, thread_root_id",
    ),
    "interactions": Report(
        """SELECT i.chat, i.session_id, s.start_at AS session_start_at, i.source_author_id, i.target_author_id,
                  i.kind, i.count
           FROM interactions i LEFT JOIN sessions s USING (chat, session_id)""",
        "session_start_at", "chat, session_start_at NULLS LAST, source_author_id, target_author_id, kind",
    ),
    "questions": Report(
        """SELECT q.chat, q.session_id, s.start_at AS session_start_at, q.number, q.post_id, q.author_id,
                  q.asked_at, q.text, q.answers, q.answerers
           FROM questions q JOIN sessions s USING (chat, session_id)""",
        "asked_at", "chat, asked_at, number",
    ),
    "retention": Report(
        """SELECT r.chat, r.cohort_session, s.start_at AS cohort_start_at, r.cohort_size, r.sessions_later,
                  r.target_session, r.present, r.share
           FROM retention r JOIN sessions s ON s.chat = r.chat AND s.session_id = r.cohort_session""",
        "cohort_start_at", "chat, cohort_start_at, sessions_later",
    ),
    "newcomers": Report(
        """SELECT n.chat, n.author_id, n.first_session_id, s.start_at AS first_session_start_at,
                  n.first_session_posts, n.got_reply, n.first_replier_id, n.minutes_to_first_reply,
                  n.replies_received, n.repliers, n.returned, n.next_session_id
           FROM newcomer_outcomes n JOIN sessions s ON s.chat = n.chat AND s.session_id = n.first_session_id""",
        "first_session_start_at", "chat, first_session_start_at, author_id",
    ),
}

AUTHOR_COLUMNS = {
    "author_id", "source_author_id", "target_author_id", "first_replier_id", "root_author_id",
    "in_reply_to_author_id", "handle", "display_name",
}
POST_COLUMNS = {"post_id", "in_reply_to_post_id", "thread_root_id"}
URL_COLUMNS = {"url"}
TEXT_COLUMNS = {"text", "root_text"}
_FORMULA_START = r"^[=+\-@\t\r]"
_MENTION = re.compile(r"@([A-Za-z0-9_.]+)(?:@([A-Za-z0-9.\-]+\.[A-Za-z]{2,}|[A-Za-z0-9.\-]+:\d+))?")


class ReportError(ValueError):
    """A report request that cannot be met, phrased for the user."""


class Pseudonymizer:
    """Stable keyed hashes: the same id always gives the same pseudonym under the same key."""

    def __init__(self, key: str, handle_to_author: dict[str, str]) -> None:
        self._key = key.encode("utf-8")
        self._handles = handle_to_author

    def token(self, value: str | None, prefix: str = "u") -> str | None:
        if value is None:
            return None
        digest = hmac.new(self._key, value.lower().encode("utf-8"), hashlib.sha256).hexdigest()
        return f"{prefix}_{digest[:16]}"

    def text(self, value: str | None) -> str | None:
        if value is None:
            return None

        def sub(m: re.Match[str]) -> str:
            user, host = m.group(1), m.group(2)
            author = f"{user}@{host}" if host else self._handles.get(user.lower(), user)
            return "@" + (self.token(author) or "")

        return _MENTION.sub(sub, value)


def _udf(fn: Callable[[str | None], str | None]) -> Callable[[pa.Array], pa.Array]:
    def apply(values: pa.Array) -> pa.Array:
        return pa.array([fn(v) for v in values.to_pylist()], pa.string())

    return apply


def export(
    db: Path | str,
    report: str,
    out: Path | str,
    *,
    chat: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    pseudonymize_key: str | None = None,
    excel: bool = False,
) -> int:
    """Write one report as CSV and return how many rows it holds."""
    if report not in REPORTS:
        raise ReportError(f"unknown report {report!r} (reports: {', '.join(REPORTS)})")
    spec = REPORTS[report]
    out = Path(out)
    with reading(db) as con:
        missing = [t for t in ("chat_posts", "session_stats") if not _has_table(con, t)]
        if missing:
            raise ReportError(f"{db}: the archive has not been built yet (run `tagtrail build`)")
        if chat is not None:
            known = [r[0] for r in con.execute("SELECT chat FROM chats ORDER BY chat").fetchall()]
            match = [k for k in known if k.lower() == chat.lower()]
            if not match:
                raise ReportError(f"no chat named {chat!r} in the archive (chats: {', '.join(known) or 'none'})")
            chat = match[0]
        base = f"SELECT * FROM ({spec.sql}) WHERE (? IS NULL OR chat = ?)"
        params: list[object] = [chat, chat]
        if since is not None:
            base += f" AND {spec.time_column} >= ?"
            params.append(since)
        if until is not None:
            base += f" AND {spec.time_column} < ?"
            params.append(until)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _report AS {base} ORDER BY {spec.order}", params)
        columns = [(r[0], r[1]) for r in con.execute("DESCRIBE _report").fetchall()]
        if pseudonymize_key:
            handles = dict(
                con.execute(
                    """SELECT lower(handle), any_value(author_id) FROM authors WHERE handle IS NOT NULL
                       GROUP BY lower(handle) HAVING count(*) = 1"""
                ).fetchall()
            )
            pseudo = Pseudonymizer(pseudonymize_key, handles)
            for name, fn in (
                ("pseudo_author", lambda v: pseudo.token(v, "u")),
                ("pseudo_post", lambda v: pseudo.token(v, "p")),
                ("pseudo_text", pseudo.text),
            ):
                con.create_function(name, _udf(fn), ["VARCHAR"], "VARCHAR", type="arrow", side_effects=False)
        selects = [_cell(name, typ, pseudonymize_key is not None) for name, typ in columns]
        id_columns = [n for n, _ in columns if n.endswith("_id") or n in POST_COLUMNS or n == "session_id"]
        rows = con.execute("SELECT count(*) FROM _report").fetchone()[0]
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
            tmp_csv = Path(tmp) / "report.csv"
            force = f", FORCE_QUOTE ({', '.join(_q(c) for c in id_columns)})" if id_columns else ""
            con.execute(
                f"COPY (SELECT {', '.join(selects)} FROM _report) TO '{_sql_str(str(tmp_csv))}' "
                f"(FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', ESCAPE '\"', NULLSTR ''{force})"
            )
            with out.open("wb") as dst, tmp_csv.open("rb") as src:
                if excel:
                    dst.write(b"\xef\xbb\xbf")
                shutil.copyfileobj(src, dst, 1 << 20)
    return int(rows)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()[0])


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_str(value: str) -> str:
    return value.replace("'", "''")


def _cell(name: str, typ: str, pseudonymize: bool) -> str:
    col = _q(name)
    if typ.endswith("[]"):
        expr = f"array_to_string({col}, ';')"
    elif typ.startswith("TIMESTAMP"):
        return f"strftime({col}, '%Y-%m-%dT%H:%M:%SZ') AS {col}"
    elif typ == "DATE":
        return f"strftime({col}, '%Y-%m-%d') AS {col}"
    elif typ == "BOOLEAN":
        return f"CASE WHEN {col} THEN 'true' WHEN NOT {col} THEN 'false' END AS {col}"
    elif typ == "VARCHAR":
        expr = col
    else:
        return col
    if pseudonymize:
        if name in AUTHOR_COLUMNS:
            expr = f"pseudo_author({expr})"
        elif name in POST_COLUMNS:
            expr = f"pseudo_post({expr})"
        elif name in URL_COLUMNS:
            expr = "NULL::VARCHAR"
        elif name in TEXT_COLUMNS:
            expr = f"pseudo_text({expr})"
    return f"CASE WHEN regexp_matches({expr}, '{_FORMULA_START}') THEN '''' || {expr} ELSE {expr} END AS {col}"
