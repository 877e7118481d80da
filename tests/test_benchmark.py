"""The benchmark itself runs (at N = 1,000, one run) and reports every figure; no timing is asserted here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from benchmarks.run import growth, table, targets, timed_figures
from benchmarks.steps import page_queries
from warehouse.reports import REPORTS

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmark_runs_at_a_thousand_posts_and_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    r = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--n", "1000", "--runs", "1", "--query-runs", "2",
         "--cache", str(tmp_path / "cache"), "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    results = json.loads(out.read_text())
    [size] = results["sizes"]
    assert size["n"] == 1000 and size["posts"] > 0 and size["statuses"] >= size["posts"]
    for step in ("import", "floor"):
        assert size[step]["seconds"] > 0 and size[step]["statuses_per_s"] > 0 and size[step]["rss_mb"] > 0
    assert size["import_vs_floor"] > 0
    assert size["build_full"]["seconds"] > 0 and size["build_incremental"]["new_posts"] > 0
    assert len(size["build_full"]["slowest_models"]) == 5 and len(size["build_incremental"]["slowest_models"]) == 5
    source, queries = page_queries()
    assert size["queries"]["source"] == source
    assert set(size["queries"]["items"]) == {f"{page}/{name}" for page, name, _ in queries}
    assert set(size["export"]["items"]) == set(REPORTS)
    assert size["export"]["items"]["posts"]["rows"] > 0

    checked = {(t["step"], t["figure"]) for t in results["targets"]}
    assert {("import", "throughput / floor"), ("import", "peak memory (MB)"), ("build", "full (s)"),
            ("build", "incremental / full"), ("export", "posts transcript (s)")} <= checked
    assert {f"{name} p95 (ms)" for name in size["queries"]["items"]} <= {f for s, f in checked if s == "queries"}
    assert results["machine"]["cores"] == os.cpu_count()

    # the printed table has a row for each figure and a met/missed mark for each target
    for figure in ("tagtrail import mastodon", "floor: DuckDB read_json_objects", "incremental / full",
                   "posts transcript (s)", *size["queries"]["items"]):
        assert figure in r.stdout, figure
    assert r.stdout.count("met") + r.stdout.count("missed") >= len(results["targets"])
    # and the same figures as Markdown for the README
    md = out.with_suffix(".md").read_text()
    for figure in ("import throughput / floor", "full build", "incremental build after +1%",
                   *(f"query {name} " for name in size["queries"]["items"]), *(f"export {r} " for r in REPORTS)):
        assert figure in md, figure


def test_growth_compares_every_timed_figure_against_the_linear_allowance(tmp_path: Path) -> None:
    size = {
        "n": 100, "import": {"seconds": 2.0}, "floor": {"seconds": 1.0}, "build_full": {"seconds": 4.0},
        "build_incremental": {"seconds": 0.5, "share_of_full": 0.125}, "import_vs_floor": 0.5,
        "queries": {"items": {"overview/chats": {"median_ms": 5.0, "p95_ms": 8.0}}},
        "export": {"items": {"posts": {"seconds": 1.0, "rows": 10, "rows_per_s": 10}}},
    }
    bigger = json.loads(json.dumps(size))
    bigger["n"] = 1000
    bigger["build_full"]["seconds"] = 50.0  # 12.5× for 10× the posts: not linear
    bigger["import"]["seconds"] = 20.0
    rows = {g["figure"]: g for g in growth(size, bigger)}
    assert set(rows) == set(timed_figures(size))
    assert rows["build full (s)"]["ratio"] == 12.5 and not rows["build full (s)"]["met"]
    assert rows["import (s)"]["ratio"] == 10.0 and rows["import (s)"]["met"]
    size["import"]["rss_mb"] = 3000
    checks = {t["figure"]: t["met"] for t in targets(size)}
    assert checks["peak memory (MB)"] is False and checks["throughput / floor"] is True
    assert checks["incremental / full"] is False


def test_the_table_marks_targets_met_and_missed(tmp_path: Path) -> None:
    results = {
        "machine": {"cores": 2, "cpu": "test cpu"},
        "sizes": [],
        "targets": [],
        "growth": [{"figure": "import (s)", "small_n": 100, "large_n": 1000, "ratio": 13.0, "target": "<= 12",
                    "met": False}],
    }
    console = Console(width=200, record=True)
    console.print(table(results))
    text = console.export_text()
    assert "import (s)" in text and "13.00×" in text and "missed" in text


def test_a_failing_page_query_is_reported_as_missed_not_fatal(tmp_path: Path) -> None:
    from benchmarks.steps import queries

    result = queries({"db": str(tmp_path / "no-archive.duckdb"), "repeats": 3})
    assert result["errors"] and set(result["errors"]) == set(result["ms"])
    assert all("no archive here yet" in e for e in result["errors"].values())
    size = {
        "n": 1000, "import": {"seconds": 1.0, "rss_mb": 10}, "floor": {"seconds": 1.0}, "import_vs_floor": 1.0,
        "build_full": {"seconds": 1.0},
        "build_incremental": {"seconds": 0.05, "share_of_full": 0.05},
        "queries": {"items": {name: {"error": e} for name, e in result["errors"].items()}}, "export": {"items": {}},
    }
    failed = [t for t in targets(size) if t["step"] == "queries"]
    assert len(failed) == len(result["errors"]) and not any(t["met"] for t in failed)
    assert not any(name.startswith("query ") for name in timed_figures(size))
