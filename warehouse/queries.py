"""The dashboard's read-only queries over the marts: one short-lived read-only connection each, polars out.

Every figure the dashboard shows is read here from a mart (`warehouse/models/marts/`); this module only selects,
filters and sums. `PAGE_QUERIES` lists each page's queries so the benchmark can time exactly what the pages run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from warehouse.db import ArchiveError, reading
from warehouse.layout import WARM_ITERATIONS, network_positions

# The marts a page needs; an archive without them has not been built yet.
REQUIRED_MARTS = ("chats", "session_stats", "participants", "participation_platforms", "session_retention",
                  "session_minutes", "network_people", "network_pairs", "transcript_posts")


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the view to: a chat, a date range of sessions (UTC dates, inclusive), a platform."""

    chat: str | None = None
    since: date | None = None
    until: date | None = None
    platform: str | None = None

    def params(self) -> list[Any]:
        until = self.until + timedelta(days=1) if self.until else None
        return [self.chat, self.chat, self.since, self.since, until, until]


# Matches sessions (alias s) to the chat and date range; takes Filters.params().
_SESSION_FILTER = """(? IS NULL OR s.chat = ?) AND (?::DATE IS NULL OR s.start_at >= ?::DATE)
    AND (?::DATE IS NULL OR s.start_at < ?::DATE)"""


def _frame(db: Path | str, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
    with reading(db) as con:
        return con.sql(sql, params=params or None).pl()


def archive_problem(db: Path | str) -> str | None:
    """Why there is nothing to show yet, in words for the user, or None when the archive is ready."""
    path = Path(db)
    if not path.exists():
        return (f"No archive at {path} yet. Import or capture a chat (`tagtrail import mastodon FILE --instance "
                "HOST`), then run `tagtrail build` — or try `tagtrail demo`.")
    try:
        with reading(path) as con:
            tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            if not set(REQUIRED_MARTS) <= tables:
                return f"The archive {path} has not been built yet: run `tagtrail build`."
            if not con.execute("SELECT count(*) FROM sessions").fetchone()[0]:
                return (f"The archive {path} holds no chat sessions yet. Check the chats' hashtags in the "
                        "configuration, import or capture posts, and run `tagtrail build`.")
    except ArchiveError as e:
        return str(e)
    return None


# --- filter choices -------------------------------------------------------------------------------------------

def chats(db: Path | str) -> pl.DataFrame:
    return _frame(db, """SELECT c.chat, c.hashtags, min(s.start_at)::DATE AS first_day, max(s.start_at)::DATE AS last_day,
                                count(s.session_id) AS sessions
                         FROM chats c LEFT JOIN sessions s USING (chat) GROUP BY ALL ORDER BY c.chat""")


def platforms(db: Path | str) -> pl.DataFrame:
    return _frame(db, "SELECT DISTINCT platform FROM participation_platforms ORDER BY platform")


# --- Overview -------------------------------------------------------------------------------------------------

_FILTERED_PARTICIPATION = f"""
    SELECT pp.*, s.start_at, s.session_number
    FROM participation_platforms pp JOIN sessions s USING (chat, session_id)
    WHERE {_SESSION_FILTER} AND (?::VARCHAR IS NULL OR pp.platform = ?)
"""


def _participation_params(f: Filters) -> list[Any]:
    return [*f.params(), f.platform, f.platform]


def overview_figures(db: Path | str, f: Filters) -> pl.DataFrame:
    """One row: sessions, posts, participants, newcomers and the share of those newcomers who came back."""
    return _frame(
        db,
        f"""WITH pp AS ({_FILTERED_PARTICIPATION}),
            newcomers AS (SELECT DISTINCT chat, author_id FROM pp WHERE is_newcomer)
            SELECT *, round(newcomers_returned / nullif(newcomers, 0), 4) AS newcomer_return_share
            FROM (SELECT
                (SELECT count(DISTINCT (chat, session_id)) FROM pp) AS sessions,
                (SELECT coalesce(sum(posts), 0) FROM pp)::BIGINT AS posts,
                (SELECT count(DISTINCT (chat, author_id)) FROM pp) AS participants,
                (SELECT count(*) FROM newcomers) AS newcomers,
                (SELECT count(*) FILTER (WHERE o.returned) FROM newcomers n JOIN newcomer_outcomes o USING (chat, author_id))
                    AS newcomers_returned)""",
        _participation_params(f),
    )


def session_series(db: Path | str, f: Filters) -> pl.DataFrame:
    """Per session: participants split into newcomers and returning members, posts, and rolling retention."""
    if f.platform is None:
        # every platform: session_stats holds the same figures, one row per session
        return _frame(
            db,
            f"""SELECT s.chat, s.session_id, s.session_number, s.start_at, s.posts, s.participants, s.newcomers,
                       s."returning", r.rolling_retention
                FROM session_stats s LEFT JOIN session_retention r USING (chat, session_id)
                WHERE {_SESSION_FILTER} AND s.participants > 0
                ORDER BY s.start_at, s.chat""",
            f.params(),
        )
    return _frame(
        db,
        f"""WITH pp AS ({_FILTERED_PARTICIPATION})
            SELECT pp.chat, pp.session_id, pp.session_number, pp.start_at,
                   sum(pp.posts)::BIGINT AS posts,
                   count(DISTINCT pp.author_id) AS participants,
                   count(DISTINCT pp.author_id) FILTER (WHERE pp.is_newcomer) AS newcomers,
                   participants - newcomers AS returning,
                   any_value(r.rolling_retention) AS rolling_retention
            FROM pp LEFT JOIN session_retention r USING (chat, session_id)
            GROUP BY ALL ORDER BY pp.start_at, pp.chat""",
        _participation_params(f),
    )


# --- Sessions -------------------------------------------------------------------------------------------------

def sessions_table(db: Path | str, f: Filters) -> pl.DataFrame:
    return _frame(
        db,
        f"""SELECT s.chat, s.session_id, s.session_number, s.start_at, s.end_at, s.posts, s.participants,
                   s.newcomers, s."returning", s.replies, s.questions, s.answers, s.median_first_reply_minutes
            FROM session_stats s
            WHERE {_SESSION_FILTER}
              AND (?::VARCHAR IS NULL OR EXISTS (SELECT 1 FROM participation_platforms pp
                   WHERE pp.chat = s.chat AND pp.session_id = s.session_id AND pp.platform = ?))
            ORDER BY s.start_at DESC, s.chat""",
        _participation_params(f),
    )


def session_transcript(db: Path | str, chat: str, session_id: str) -> pl.DataFrame:
    """The session's posts in thread order: each reply under its parent (`level` deep), each thread under the
    question it asks or answers (`section`, NULL for talk outside the questions)."""
    with reading(db) as con:
        # the session's start first: transcript_posts is stored in that order, so the scan reads only its rows
        found = con.execute("SELECT start_at FROM sessions WHERE chat = ? AND session_id = ?",
                            [chat, session_id]).fetchall()
        start_at = found[0][0] if found else None
        return con.sql(
            """WITH RECURSIVE cp AS (
                   SELECT * FROM transcript_posts WHERE session_start_at = ? AND chat = ? AND session_id = ?
               ), tree AS (
                   SELECT post_id, post_id AS root, 0 AS level,
                          strftime(created_at, '%Y%m%d%H%M%S') || post_id AS path
                   FROM cp WHERE in_reply_to_post_id IS NULL OR in_reply_to_post_id NOT IN (SELECT post_id FROM cp)
                   UNION ALL
                   SELECT c.post_id, t.root, t.level + 1,
                          t.path || '/' || strftime(c.created_at, '%Y%m%d%H%M%S') || c.post_id
                   FROM cp c JOIN tree t ON c.in_reply_to_post_id = t.post_id
                   WHERE t.level < 200
               )
               SELECT cp.post_id, cp.created_at, cp.author_id, cp.handle, cp.text, cp.url, t.level,
                      cp.is_question, cp.question_number, cp.answers_question,
                      coalesce(r.question_number, r.answers_question) AS section
               FROM tree t JOIN cp USING (post_id) JOIN cp r ON r.post_id = t.root
               ORDER BY section NULLS LAST, t.path""",
            params=[start_at, chat, session_id],
        ).pl()


def session_questions(db: Path | str, chat: str, session_id: str) -> pl.DataFrame:
    return _frame(
        db,
        """SELECT number, asked_at, text, answers, answerers FROM questions
           WHERE chat = ? AND session_id = ? ORDER BY number""",
        [chat, session_id],
    )


def session_people(db: Path | str, chat: str, session_id: str) -> pl.DataFrame:
    return _frame(
        db,
        """SELECT p.author_id, a.handle, pa.role, p.posts, p.replies_sent, p.replies_received, p.answers,
                  p.is_newcomer
           FROM participation p
           LEFT JOIN authors a ON a.author_id = p.author_id
           LEFT JOIN participants pa ON pa.chat = p.chat AND pa.author_id = p.author_id
           WHERE p.chat = ? AND p.session_id = ? ORDER BY p.posts DESC, p.author_id""",
        [chat, session_id],
    )


# --- Participants ---------------------------------------------------------------------------------------------

def participants_table(db: Path | str, f: Filters) -> pl.DataFrame:
    """Everyone who took part in a session within the filters, with their whole-chat figures and role."""
    if f.platform is None:
        # every platform: participation has one row per person and session, so nothing to count twice
        present = f"""SELECT pa.chat, pa.author_id, count(*) AS sessions_in_range, sum(pa.posts) AS posts_in_range
                      FROM participation pa JOIN sessions s USING (chat, session_id)
                      WHERE {_SESSION_FILTER} GROUP BY pa.chat, pa.author_id"""
        params = f.params()
    else:
        present = f"""SELECT chat, author_id, count(DISTINCT session_id) AS sessions_in_range,
                             sum(posts) AS posts_in_range
                      FROM ({_FILTERED_PARTICIPATION}) GROUP BY ALL"""
        params = _participation_params(f)
    return _frame(
        db,
        f"""WITH present AS ({present})
            SELECT p.chat, p.author_id, p.handle, p.display_name, p.role, p.sessions_attended, pr.sessions_in_range,
                   pr.posts_in_range::BIGINT AS posts_in_range, p.posts, p.replies_sent, p.replies_received,
                   p.distinct_partners, p.attendance_share, p.first_post_at, p.last_post_at
            FROM participants p JOIN present pr USING (chat, author_id)
            ORDER BY p.posts DESC, p.author_id, p.chat""",
        params,
    )


def participant_timeline(db: Path | str, chat: str, author_id: str) -> pl.DataFrame:
    return _frame(
        db,
        """SELECT s.session_id, s.session_number, s.start_at, p.posts, p.replies_sent, p.replies_received, p.answers,
                  p.is_newcomer
           FROM participation p JOIN sessions s USING (chat, session_id)
           WHERE p.chat = ? AND p.author_id = ? ORDER BY s.start_at""",
        [chat, author_id],
    )


def retention_heatmap(db: Path | str, f: Filters) -> pl.DataFrame:
    """Share of each first-session cohort present 1, 2, 4 and 8 sessions later."""
    return _frame(
        db,
        f"""SELECT r.chat, r.cohort_session, s.start_at AS cohort_start_at, r.cohort_size, r.sessions_later,
                   r.present, r.share
            FROM retention r JOIN sessions s ON s.chat = r.chat AND s.session_id = r.cohort_session
            WHERE {_SESSION_FILTER}
            ORDER BY s.start_at, r.sessions_later""",
        f.params(),
    )


# --- Conversation network -------------------------------------------------------------------------------------
# A whole range (one chat or all chats, no dates, session or platform) is read as the build laid it out, from the
# network_people and network_pairs marts. A narrower view is summed from the per-session marts and laid out here,
# starting from the whole range's positions (warehouse.layout). All chats at once draw people, not chat members:
# the same person in two chats is one node, shown with the chat where they posted most.

_WHOLE_PEOPLE = """SELECT chat, author_id, handle, role, posts, x, y FROM network_people
                   WHERE scope IS NOT DISTINCT FROM ? ORDER BY posts DESC, author_id"""
_WHOLE_PAIRS = """SELECT n.chat, n.source_author_id, sp.handle AS source_handle, n.target_author_id,
                         tp.handle AS target_handle, n.replies, sp.x, sp.y, tp.x AS x2, tp.y AS y2
                  FROM network_pairs n
                  JOIN network_people sp ON sp.scope IS NOT DISTINCT FROM n.scope AND sp.author_id = n.source_author_id
                  JOIN network_people tp ON tp.scope IS NOT DISTINCT FROM n.scope AND tp.author_id = n.target_author_id
                  WHERE n.scope IS NOT DISTINCT FROM ?
                  ORDER BY n.replies DESC, n.source_author_id, n.target_author_id"""
_VIEW_PEOPLE = f"""WITH pp AS (
                       SELECT pp.chat, pp.author_id, sum(pp.posts)::BIGINT AS posts
                       FROM participation_platforms pp JOIN sessions s USING (chat, session_id)
                       WHERE {_SESSION_FILTER} AND (?::VARCHAR IS NULL OR pp.platform = ?)
                         AND (?::VARCHAR IS NULL OR pp.session_id = ?)
                       GROUP BY ALL
                   ), people AS (
                       SELECT first(chat ORDER BY posts DESC, chat) AS chat, author_id, sum(posts)::BIGINT AS posts
                       FROM pp GROUP BY author_id
                   )
                   SELECT pe.chat, pe.author_id, a.handle, p.role, pe.posts
                   FROM people pe
                   LEFT JOIN authors a ON a.author_id = pe.author_id
                   LEFT JOIN participants p ON p.chat = pe.chat AND p.author_id = pe.author_id
                   ORDER BY pe.posts DESC, pe.author_id"""
_VIEW_PAIRS = f"""WITH by_chat AS (
                      SELECT i.chat, i.source_author_id, i.target_author_id, sum(i.count)::BIGINT AS replies
                      FROM interactions i JOIN sessions s USING (chat, session_id)
                      WHERE i.kind = 'reply' AND {_SESSION_FILTER} AND (?::VARCHAR IS NULL OR i.session_id = ?)
                      GROUP BY ALL
                  )
                  SELECT first(chat ORDER BY replies DESC, chat) AS chat, source_author_id, target_author_id,
                         sum(replies)::BIGINT AS replies
                  FROM by_chat GROUP BY source_author_id, target_author_id
                  ORDER BY replies DESC, source_author_id, target_author_id"""
_WHOLE_POSITIONS = """SELECT author_id, x, y FROM network_people
                      WHERE scope IS NOT DISTINCT FROM ? AND x IS NOT NULL"""


def network_map(db: Path | str, f: Filters, session_id: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The people in view (posts there, role in the chat) and the reply pairs between them (summed over the
    sessions in view, most frequent first), with x, y to draw them at (x2, y2: a pair's other end). Only the
    layout.DRAWN_PEOPLE busiest people who replied or were replied to get a place; the others' x, y are null."""
    with reading(db) as con:
        if session_id is None and f.since is None and f.until is None and f.platform is None:
            return (con.sql(_WHOLE_PEOPLE, params=[f.chat]).pl(), con.sql(_WHOLE_PAIRS, params=[f.chat]).pl())
        people = con.sql(_VIEW_PEOPLE, params=[*_participation_params(f), session_id, session_id]).pl()
        pairs = con.sql(_VIEW_PAIRS, params=[*f.params(), session_id, session_id]).pl()
        start = {a: (x, y) for a, x, y in con.execute(_WHOLE_POSITIONS, [f.chat]).fetchall()}
    known = people["author_id"].implode()
    pairs = pairs.filter(pl.col("source_author_id").is_in(known) & pl.col("target_author_id").is_in(known))
    at = network_positions(people["author_id"].to_list(),
                           pairs.select("source_author_id", "target_author_id", "replies").iter_rows(),
                           start=start, iterations=WARM_ITERATIONS)
    xy = pl.DataFrame({"author_id": list(at), "x": [p[0] for p in at.values()], "y": [p[1] for p in at.values()]},
                      schema={"author_id": pl.String, "x": pl.Float64, "y": pl.Float64})
    handles = people.select("author_id", "handle")
    pairs = (pairs.join(handles.rename({"author_id": "source_author_id", "handle": "source_handle"}),
                        on="source_author_id", how="left", maintain_order="left")
             .join(handles.rename({"author_id": "target_author_id", "handle": "target_handle"}),
                   on="target_author_id", how="left", maintain_order="left")
             .join(xy.rename({"author_id": "source_author_id"}), on="source_author_id", how="left",
                   maintain_order="left")
             .join(xy.rename({"author_id": "target_author_id", "x": "x2", "y": "y2"}), on="target_author_id",
                   how="left", maintain_order="left")
             .select("chat", "source_author_id", "source_handle", "target_author_id", "target_handle", "replies",
                     "x", "y", "x2", "y2"))
    return people.join(xy, on="author_id", how="left", maintain_order="left"), pairs


# --- Live -----------------------------------------------------------------------------------------------------

def live_session(db: Path | str, f: Filters) -> pl.DataFrame:
    """The chat's running session, or else its latest one; `running` says which."""
    return _frame(
        db,
        """SELECT s.chat, s.session_id, s.start_at, s.end_at, s.posts, s.participants, s.newcomers, s.questions,
                  s.answers, now() BETWEEN s.start_at AND s.end_at + INTERVAL 30 MINUTE AS running
           FROM session_stats s WHERE (? IS NULL OR s.chat = ?)
           ORDER BY s.start_at DESC LIMIT 1""",
        [f.chat, f.chat],
    )


def live_minutes(db: Path | str, chat: str, session_id: str) -> pl.DataFrame:
    return _frame(
        db,
        """SELECT minute, posts, active_participants, replies FROM session_minutes
           WHERE chat = ? AND session_id = ? ORDER BY minute""",
        [chat, session_id],
    )


def unanswered_newcomers(db: Path | str, chat: str, session_id: str) -> pl.DataFrame:
    """Newcomers in this session whose posts have had no reply from anyone else yet: who should notice them."""
    return _frame(
        db,
        """SELECT n.author_id, a.handle, n.first_session_posts AS posts, pa.first_post_at,
                  date_diff('minute', pa.first_post_at, now()) AS minutes_waiting
           FROM newcomer_outcomes n
           JOIN participation pa ON pa.chat = n.chat AND pa.session_id = n.first_session_id AND pa.author_id = n.author_id
           LEFT JOIN authors a ON a.author_id = n.author_id
           WHERE n.chat = ? AND n.first_session_id = ? AND NOT n.got_reply
           ORDER BY pa.first_post_at""",
        [chat, session_id],
    )


# --- Capture & export -----------------------------------------------------------------------------------------
# The status page reads warehouse.status.archive_status and writes reports with warehouse.reports.export.


def _latest_session(db: Path | str, f: Filters) -> tuple[str, str]:
    row = live_session(db, f)
    return (row["chat"][0], row["session_id"][0]) if row.height else ("", "")


def _first_session(db: Path | str, f: Filters) -> tuple[str, str]:
    table = sessions_table(db, f)
    return (table["chat"][0], table["session_id"][0]) if table.height else ("", "")


def _first_person(db: Path | str, f: Filters) -> tuple[str, str]:
    table = participants_table(db, f)
    return (table["chat"][0], table["author_id"][0]) if table.height else ("", "")


Query = Callable[[Path | str, Filters], Any]


def _on(query: Callable[[Path | str, str, str], pl.DataFrame],
        pick: Callable[[Path | str, Filters], tuple[str, str]]) -> Query:
    return lambda db, f: query(db, *pick(db, f))


# Every page's queries as (name, query(db, filters)): what the benchmark times as "the dashboard's own queries".
# A query about one session or person runs on the one the page would show first.
PAGE_QUERIES: dict[str, list[tuple[str, Query]]] = {
    "overview": [("chats", lambda db, f: chats(db)), ("platforms", lambda db, f: platforms(db)),
                 ("overview_figures", overview_figures), ("session_series", session_series)],
    "sessions": [("sessions_table", sessions_table),
                 ("session_transcript", _on(session_transcript, _first_session)),
                 ("session_questions", _on(session_questions, _first_session)),
                 ("session_people", _on(session_people, _first_session))],
    "participants": [("participants_table", participants_table),
                     ("participant_timeline", _on(participant_timeline, _first_person)),
                     ("retention_heatmap", retention_heatmap)],
    "network": [("sessions_table", sessions_table), ("network_map", network_map)],
    "live": [("live_session", live_session), ("live_minutes", _on(live_minutes, _latest_session)),
             ("unanswered_newcomers", _on(unanswered_newcomers, _latest_session))],
}
