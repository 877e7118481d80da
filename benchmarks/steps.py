"""One benchmark step, run in its own process so its peak memory is its own: `python -m benchmarks.steps STEP JSON`.

The JSON argument holds the step's inputs and `result`, the file the step writes its timings to (stdout and stderr
belong to the commands it runs). Steps that run a `tagtrail` command call the Typer app in this process, exactly as
the `tagtrail` script does, so the timing is the command's work without the interpreter's start.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# A representative set of the marts' reads, timed while warehouse.queries (the dashboard's query module) is absent.
FALLBACK_QUERIES: dict[str, list[tuple[str, str]]] = {
    "overview": [
        ("chat_figures", """SELECT chat, count(*) AS sessions, sum(posts) AS posts, sum(participants) AS participants,
                                   sum(newcomers) AS newcomers FROM session_stats GROUP BY chat ORDER BY chat"""),
        ("session_series", """SELECT chat, session_id, start_at, posts, participants, newcomers, "returning"
                              FROM session_stats ORDER BY chat, start_at"""),
    ],
    "sessions": [
        ("sessions_table", "SELECT * FROM session_stats ORDER BY start_at DESC"),
        ("session_transcript", """SELECT cp.*, p.text FROM chat_posts cp JOIN posts p USING (post_id)
                                  WHERE cp.session_id = (SELECT session_id FROM sessions ORDER BY start_at DESC LIMIT 1)
                                  ORDER BY cp.thread_root_id, cp.created_at"""),
        ("session_questions", """SELECT * FROM questions
                                 WHERE session_id = (SELECT session_id FROM sessions ORDER BY start_at DESC LIMIT 1)"""),
    ],
    "participants": [
        ("participants_table", "SELECT * FROM participants ORDER BY posts DESC"),
        ("participant_timeline", """SELECT * FROM participation WHERE author_id =
                                    (SELECT author_id FROM participants ORDER BY posts DESC LIMIT 1)
                                    ORDER BY session_number"""),
        ("retention_heatmap", "SELECT * FROM retention ORDER BY chat, cohort_session, sessions_later"),
    ],
    "network": [
        ("top_pairs", """SELECT source_author_id, target_author_id, sum(count) AS n FROM interactions
                         GROUP BY ALL ORDER BY n DESC LIMIT 100"""),
    ],
    "live": [
        ("newcomers_without_reply", """SELECT * FROM newcomer_outcomes WHERE NOT got_reply
                                       ORDER BY first_session_number DESC LIMIT 100"""),
    ],
}


def _cli(args: list[str]) -> None:
    from tagtrail.cli import app

    app(args=args, prog_name="tagtrail", standalone_mode=False)


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def cli(spec: dict[str, Any]) -> dict[str, Any]:
    """Run tagtrail commands one after another; the time of each."""
    return {"seconds": [timed(lambda a=args: _cli(a)) for args in spec["commands"]]}


def build(spec: dict[str, Any]) -> dict[str, Any]:
    """`tagtrail build [--full]` as the command runs it (warehouse.build.build), with the time of each model: the
    profile that says what bounds a build."""
    from tagtrail.config import load_config
    from warehouse.build import build as run_build

    config = load_config(spec["config"], required=True)
    marks: list[tuple[str, float]] = []
    started = time.perf_counter()
    run_build(spec["db"], config, full=spec["full"], progress=lambda name, done, total: marks.append(
        (name, time.perf_counter())))
    seconds = time.perf_counter() - started
    models: dict[str, float] = {}
    for (name, at), (_, until) in zip(marks, marks[1:], strict=False):
        models[name] = models.get(name, 0.0) + until - at
    return {"seconds": [seconds], "models": models}


def floor(spec: dict[str, Any]) -> dict[str, Any]:
    """DuckDB reading the same files by itself into a fresh table with the raw records' columns: the floor."""
    import duckdb

    con = duckdb.connect(spec["db"])
    started = time.perf_counter()
    con.execute("""CREATE TABLE raw_floor (source VARCHAR, kind VARCHAR, origin VARCHAR, query VARCHAR,
                   is_context BOOLEAN, fetched_at TIMESTAMPTZ, file VARCHAR, line BIGINT, payload VARCHAR,
                   payload_md5 UHUGEINT)""")
    for path, origin in spec["files"]:
        con.execute(
            """INSERT INTO raw_floor
               SELECT 'mastodon', 'status', ?, NULL, FALSE, now(), ?, row_number() OVER (), json::VARCHAR,
                      md5_number(json::VARCHAR)
               FROM read_json_objects(?, format = 'newline_delimited')""",
            [origin, path, path],
        )
    rows = con.execute("SELECT count(*) FROM raw_floor").fetchone()[0]
    con.close()
    return {"seconds": [time.perf_counter() - started], "rows": rows}


def page_queries() -> tuple[str, list[tuple[str, str, Callable[[str], Any]]]]:
    """The dashboard's own queries (warehouse.queries.PAGE_QUERIES) when that module exists, else the fallback."""
    try:
        from warehouse import queries
    except ImportError:
        queries = None
    if queries is not None and hasattr(queries, "PAGE_QUERIES"):
        filters = queries.Filters()
        return "warehouse.queries.PAGE_QUERIES", [
            (page, name, lambda db, q=q: q(db, filters))
            for page, entries in queries.PAGE_QUERIES.items() for name, q in entries
        ]
    from warehouse.db import reading

    def run(sql: str) -> Callable[[str], Any]:
        def query(db: str) -> Any:
            with reading(db) as con:
                return con.execute(sql).fetchall()
        return query

    return "benchmarks.steps.FALLBACK_QUERIES", [
        (page, name, run(sql)) for page, entries in FALLBACK_QUERIES.items() for name, sql in entries
    ]


def queries(spec: dict[str, Any]) -> dict[str, Any]:
    """Each page query `repeats` times, each on its own short-lived read-only connection as the pages do."""
    source, found = page_queries()
    ms: dict[str, list[float]] = {}
    errors: dict[str, str] = {}
    for page, name, query in found:
        key = f"{page}/{name}"
        ms[key] = []
        for _ in range(spec["repeats"]):
            try:
                ms[key].append(1000 * timed(lambda q=query: q(spec["db"])))
            except Exception as e:  # a page query that fails is a finding to report, not the end of the run
                errors[key] = f"{type(e).__name__}: {e}".splitlines()[0][:200]
                break
    return {"source": source, "ms": ms, "errors": errors}


def export(spec: dict[str, Any]) -> dict[str, Any]:
    """Every CSV report as `tagtrail export` writes it (warehouse.reports.export); seconds and rows of each."""
    from warehouse.reports import REPORTS
    from warehouse.reports import export as write_report

    out = Path(spec["out_dir"])
    out.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    rows: dict[str, int] = {}
    for report in REPORTS:
        target = out / f"{report}.csv"
        started = time.perf_counter()
        rows[report] = write_report(spec["db"], report, target)
        seconds[report] = time.perf_counter() - started
        target.unlink()
    return {"seconds": seconds, "rows": rows}


STEPS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "cli": cli, "build": build, "floor": floor, "queries": queries, "export": export,
}


def main(argv: list[str]) -> None:
    step, spec = argv[0], json.loads(argv[1])
    result = STEPS[step](spec)
    Path(spec["result"]).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
