"""`make bench`: how fast tagtrail imports, builds, answers the dashboard and exports, at 100k and 1M posts.

For each size it generates a synthetic community (tagtrail.synthetic; cached in .bench/), then measures, each figure
the median of several runs and each step in its own process (its peak resident memory read with wait4):
- import: `tagtrail import mastodon` of every instance file into a fresh archive, beside the floor measured in the
  same run: DuckDB reading the same files by itself (read_json_objects) into a table of the raw records' columns;
- build: `tagtrail build --full`, and an incremental `tagtrail build` after importing the last 1% of posts;
- queries: the dashboard's own queries (warehouse.queries.PAGE_QUERIES), median and 95th percentile;
- export: every CSV report.
It prints one table with each target met or missed, and writes the same figures as JSON.

    python -m benchmarks.run                 # 100k and 1M
    python -m benchmarks.run --10m           # and 10M
    python -m benchmarks.run --n 1000 --runs 1
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tagtrail import synthetic

ROOT = Path(__file__).resolve().parent.parent
TAIL_SHARE = 0.01
MB = 1024 * 1024

# Targets from the performance issue, on the 2-core development machine (N = 1M unless said).
IMPORT_FLOOR_RATIO = 0.5
IMPORT_RSS_MB = 2048
BUILD_FULL_S = 60.0
INCREMENTAL_SHARE = 0.10
QUERY_P95_MS = 200.0
QUERY_P95_MS_10M = 1000.0
TRANSCRIPT_EXPORT_S = 10.0
GROWTH_PER_10X = 12.0

err = Console(stderr=True, highlight=False)


class BenchError(RuntimeError):
    pass


@dataclass
class Measured:
    seconds: float  # wall time of the whole process
    rss_mb: float  # its peak resident memory
    result: dict[str, Any]


def run_step(step: str, spec: dict[str, Any], work: Path) -> Measured:
    """Run one step (benchmarks/steps.py) in a child process; its own peak memory comes from wait4."""
    spec = {**spec, "result": str(work / f"{step}.result.json")}
    log = work / f"{step}.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    # Cache bytecode as an ordinary install does; otherwise every step recompiles its libraries (pandas: ~3 s).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "benchmarks.steps", step, json.dumps(spec)],
                                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        raise BenchError(f"step {step} failed ({proc.returncode}): " + " | ".join(tail))
    result = json.loads(Path(spec["result"]).read_text(encoding="utf-8"))
    return Measured(seconds, usage.ru_maxrss / 1024, result)


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def _copy(src: Path, dst: Path) -> None:
    _remove(dst)
    shutil.copyfile(src, dst)
    wal = src.with_name(src.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, dst.with_name(dst.name + ".wal"))


# --- the data ---------------------------------------------------------------------------------------------------


def dataset(cache: Path, n: int, seed: int) -> tuple[Path, synthetic.GroundTruth, float | None]:
    """The generated files for this size, reused from the cache while the generator is unchanged."""
    version = hashlib.sha256(Path(synthetic.__file__).read_bytes()).hexdigest()[:10]
    directory = cache / f"n{n}-seed{seed}-{version}"
    truth_file = directory / "ground_truth.json"
    if truth_file.exists():
        return directory, synthetic.GroundTruth.load(truth_file), None
    for stale in cache.glob(f"n{n}-seed{seed}-*"):
        shutil.rmtree(stale)
    err.print(f"[{_size(n)}] generating {n:,} posts into {directory}")
    started = time.perf_counter()
    truth = synthetic.generate(directory, posts=n, seed=seed, tail_share=TAIL_SHARE)
    return directory, truth, time.perf_counter() - started


# --- one size ---------------------------------------------------------------------------------------------------


def measure(cache: Path, n: int, *, seed: int, runs: int, query_runs: int, long_step: float) -> dict[str, Any]:
    data, truth, generate_s = dataset(cache, n, seed)
    work = data / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    config = str(data / truth.config)
    files = [(str(data / name), host) for host, name in truth.files.items()]
    tail = [(str(data / name), host) for host, name in truth.tail_files.items()]
    statuses = sum(truth.lines.values())
    size_mb = truth.bytes / MB
    label = _size(n)

    def enough(what: str, m: Measured, seconds: float) -> bool:
        """Report a run; a step whose run took longer than long_step is not repeated (its figure is one run)."""
        err.print(f"[{label}] {what}: {seconds:.2f} s, peak {m.rss_mb:,.0f} MB")
        return seconds > long_step

    floor_runs, floor_rss = [], 0.0
    for i in range(runs):
        db = work / "floor.duckdb"
        _remove(db)
        m = run_step("floor", {"db": str(db), "files": files}, work)
        floor_runs.append(m.result["seconds"][0])
        floor_rss = max(floor_rss, m.rss_mb)
        _remove(db)
        if enough(f"floor run {i + 1}/{runs}", m, floor_runs[-1]):
            break

    base = work / "archive.duckdb"
    import_runs, import_rss = [], 0.0
    for i in range(runs):
        _remove(base)
        m = run_step("cli", {"commands": [["--db", str(base), "import", "mastodon", path, "--instance", host]
                                          for path, host in files]}, work)
        import_runs.append(sum(m.result["seconds"]))
        import_rss = max(import_rss, m.rss_mb)
        if enough(f"import run {i + 1}/{runs}", m, import_runs[-1]):
            break

    build_runs, build_rss, build_models = [], 0.0, []
    for i in range(runs):
        m = run_step("build", {"db": str(base), "config": config, "full": True}, work)
        build_runs.append(m.result["seconds"][0])
        build_models.append(m.result["models"])
        build_rss = max(build_rss, m.rss_mb)
        if enough(f"full build run {i + 1}/{runs}", m, build_runs[-1]):
            break

    grown = work / "grown.duckdb"
    tail_runs, incremental_runs, incremental_rss, incremental_models = [], [], 0.0, []
    for i in range(runs):
        _copy(base, grown)
        m = run_step("cli", {"commands": [["--db", str(grown), "import", "mastodon", path, "--instance", host]
                                          for path, host in tail]}, work)
        tail_runs.append(sum(m.result["seconds"]))
        m = run_step("build", {"db": str(grown), "config": config, "full": False}, work)
        incremental_runs.append(m.result["seconds"][0])
        incremental_models.append(m.result["models"])
        incremental_rss = max(incremental_rss, m.rss_mb)
        if enough(f"incremental build after +1% run {i + 1}/{runs}", m, incremental_runs[-1]):
            break
    _remove(grown)

    q = run_step("queries", {"db": str(base), "repeats": query_runs}, work)
    err.print(f"[{label}] queries ({q.result['source']}): {len(q.result['ms'])} queries × {query_runs}")
    export_runs: dict[str, list[float]] = {}
    export_rows: dict[str, int] = {}
    export_rss = 0.0
    for i in range(runs):
        m = run_step("export", {"db": str(base), "out_dir": str(work / "reports")}, work)
        for report, seconds in m.result["seconds"].items():
            export_runs.setdefault(report, []).append(seconds)
        export_rows = m.result["rows"]
        export_rss = max(export_rss, m.rss_mb)
        if enough(f"export run {i + 1}/{runs}", m, sum(m.result["seconds"].values())):
            break

    import_s, floor_s = median(import_runs), median(floor_runs)
    full_s = median(build_runs)
    incremental_s = median(incremental_runs)
    return {
        "n": n,
        "posts": truth.posts - truth.tail_posts,
        "statuses": statuses,
        "file_mb": round(size_mb, 1),
        "generate_s": None if generate_s is None else round(generate_s, 2),
        "archive_mb": round(base.stat().st_size / MB, 1),
        "import": _throughput(import_runs, import_rss, statuses, size_mb),
        "floor": _throughput(floor_runs, floor_rss, statuses, size_mb),
        "import_vs_floor": round(floor_s / import_s, 3),
        "build_full": {"seconds": round(full_s, 3), "runs": _r(build_runs), "rss_mb": round(build_rss),
                       "slowest_models": _slowest(build_models)},
        "import_new": {"seconds": round(median(tail_runs), 3), "runs": _r(tail_runs),
                       "posts": truth.tail_posts, "statuses": sum(truth.tail_lines.values())},
        "build_incremental": {"seconds": round(incremental_s, 3), "runs": _r(incremental_runs),
                              "rss_mb": round(incremental_rss), "share_of_full": round(incremental_s / full_s, 4),
                              "new_posts": truth.tail_posts, "slowest_models": _slowest(incremental_models)},
        "queries": {
            "source": q.result["source"], "rss_mb": round(q.rss_mb), "repeats": query_runs,
            "items": {name: ({"error": q.result["errors"][name]} if name in q.result.get("errors", {}) else
                             {"median_ms": round(median(ms), 2), "p95_ms": round(p95(ms), 2)})
                      for name, ms in q.result["ms"].items()},
        },
        "export": {
            "rss_mb": round(export_rss),
            "items": {report: {"seconds": round(median(s), 3), "rows": export_rows[report],
                               "rows_per_s": round(export_rows[report] / median(s)) if median(s) else None}
                      for report, s in export_runs.items()},
        },
    }


def _slowest(runs: list[dict[str, float]], top: int = 5) -> dict[str, float]:
    """The models that took longest, by their median over the runs."""
    medians = {name: median([r.get(name, 0.0) for r in runs]) for name in runs[0]}
    return {name: round(s, 3) for name, s in sorted(medians.items(), key=lambda kv: -kv[1])[:top]}


def _r(values: list[float]) -> list[float]:
    return [round(v, 3) for v in values]


def _throughput(runs: list[float], rss: float, statuses: int, size_mb: float) -> dict[str, Any]:
    s = median(runs)
    return {"seconds": round(s, 3), "runs": _r(runs), "statuses_per_s": round(statuses / s),
            "mb_per_s": round(size_mb / s, 1), "rss_mb": round(rss)}


def _size(n: int) -> str:
    for unit, div in (("M", 1_000_000), ("k", 1_000)):
        if n >= div and n % (div // 10) == 0:
            return f"{n / div:g}{unit}"
    return f"{n:,}"


# --- targets ----------------------------------------------------------------------------------------------------


def targets(size: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue checked on this size's figures (the figures are set for N = 1M; larger sizes use
    the 10M query target)."""
    n = size["n"]
    query_limit = QUERY_P95_MS_10M if n >= 10_000_000 else QUERY_P95_MS
    out = [
        _target(n, "import", "throughput / floor", size["import_vs_floor"], f">= {IMPORT_FLOOR_RATIO}",
                size["import_vs_floor"] >= IMPORT_FLOOR_RATIO),
        _target(n, "import", "peak memory (MB)", size["import"]["rss_mb"], f"< {IMPORT_RSS_MB}",
                size["import"]["rss_mb"] < IMPORT_RSS_MB),
        _target(n, "build", "full (s)", size["build_full"]["seconds"], f"< {BUILD_FULL_S:g}",
                size["build_full"]["seconds"] < BUILD_FULL_S),
        _target(n, "build", "incremental / full", size["build_incremental"]["share_of_full"],
                f"< {INCREMENTAL_SHARE}", size["build_incremental"]["share_of_full"] < INCREMENTAL_SHARE),
    ]
    for name, q in size["queries"]["items"].items():
        p = q.get("p95_ms")
        out.append(_target(n, "queries", f"{name} p95 (ms)", p, f"< {query_limit:g}",
                           p is not None and p < query_limit))
    posts = size["export"]["items"].get("posts")
    if posts:
        out.append(_target(n, "export", "posts transcript (s)", posts["seconds"], f"< {TRANSCRIPT_EXPORT_S:g}",
                           posts["seconds"] < TRANSCRIPT_EXPORT_S))
    return out


def _target(n: int, step: str, figure: str, value: float | None, target: str, met: bool) -> dict[str, Any]:
    return {"n": n, "step": step, "figure": figure, "value": value, "target": target, "met": bool(met)}


def timed_figures(size: dict[str, Any]) -> dict[str, float]:
    """The figures whose growth with the archive's size is checked."""
    figures = {
        "import (s)": size["import"]["seconds"],
        "floor (s)": size["floor"]["seconds"],
        "build full (s)": size["build_full"]["seconds"],
        "build incremental (s)": size["build_incremental"]["seconds"],
    }
    figures.update({f"query {k} p95 (ms)": v["p95_ms"] for k, v in size["queries"]["items"].items() if "p95_ms" in v})
    figures.update({f"export {k} (s)": v["seconds"] for k, v in size["export"]["items"].items()})
    return figures


def growth(small: dict[str, Any], large: dict[str, Any]) -> list[dict[str, Any]]:
    """How each figure grew from the smaller size to the larger: linear cost allows 12× for 10× the posts."""
    allowed = GROWTH_PER_10X * large["n"] / small["n"] / 10
    a, b = timed_figures(small), timed_figures(large)
    out = []
    for name in a:
        if name in b and a[name] > 0:
            ratio = round(b[name] / a[name], 2)
            out.append({"figure": name, "small_n": small["n"], "large_n": large["n"], "ratio": ratio,
                        "target": f"<= {allowed:g}", "met": ratio <= allowed})
    return out


# --- report -----------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import duckdb

    cpu = platform.processor() or platform.machine()
    memory_gb = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": memory_gb, "system": platform.platform(),
            "python": platform.python_version(), "duckdb": duckdb.__version__,
            "load_at_start": round(os.getloadavg()[0], 2)}


def table(results: dict[str, Any]) -> Table:
    m = results["machine"]
    load = f", load {m['load_at_start']}→{m['load_at_end']}" if "load_at_end" in m else ""
    t = Table(title=f"tagtrail benchmark — {m['cores']} cores, {m['cpu']}{load}", title_justify="left")
    for col, justify in (("N", "right"), ("step", "left"), ("figure", "left"), ("value", "right"),
                         ("peak MB", "right"), ("target", "left"), ("", "left")):
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    checks = {(c["n"], c["step"], c["figure"]): c for c in results["targets"]}

    def mark(n: int, step: str, figure: str) -> tuple[str, str]:
        c = checks.get((n, step, figure))
        if c is None:
            return "", ""
        return c["target"], "[green]met[/]" if c["met"] else "[red]missed[/]"

    for size in results["sizes"]:
        n, label = size["n"], _size(size["n"])
        imp, flo = size["import"], size["floor"]
        gen = f", generated in {size['generate_s']} s" if size["generate_s"] is not None else ""
        t.add_row(label, "data", "posts · statuses · MB", f"{size['posts']:,} · {size['statuses']:,} · "
                  f"{size['file_mb']:,.0f}{gen}", "", "", "")
        t.add_row(label, "import", "tagtrail import mastodon", f"{imp['seconds']:.2f} s · "
                  f"{imp['statuses_per_s']:,}/s · {imp['mb_per_s']:,} MB/s", f"{imp['rss_mb']:,}", "", "")
        t.add_row(label, "import", "floor: DuckDB read_json_objects", f"{flo['seconds']:.2f} s · "
                  f"{flo['statuses_per_s']:,}/s · {flo['mb_per_s']:,} MB/s", f"{flo['rss_mb']:,}", "", "")
        t.add_row(label, "import", "throughput / floor", f"{size['import_vs_floor']:.2f}", "",
                  *mark(n, "import", "throughput / floor"))
        t.add_row(label, "import", "peak memory (MB)", f"{imp['rss_mb']:,}", "", *mark(n, "import", "peak memory (MB)"))
        t.add_row(label, "build", "full (s)", f"{size['build_full']['seconds']:.2f}",
                  f"{size['build_full']['rss_mb']:,}", *mark(n, "build", "full (s)"))
        t.add_row(label, "build", "full: slowest models", _models(size["build_full"]["slowest_models"]), "", "", "")
        inc = size["build_incremental"]
        t.add_row(label, "build", f"import +{inc['new_posts']:,} posts (s)", f"{size['import_new']['seconds']:.2f}",
                  "", "", "")
        t.add_row(label, "build", "incremental (s)", f"{inc['seconds']:.2f}", f"{inc['rss_mb']:,}", "", "")
        t.add_row(label, "build", "incremental: slowest models", _models(inc["slowest_models"]), "", "", "")
        t.add_row(label, "build", "incremental / full", f"{inc['share_of_full']:.1%}", "",
                  *mark(n, "build", "incremental / full"))
        for name, q in size["queries"]["items"].items():
            value = (f"{q['median_ms']:.1f} median · {q['p95_ms']:.1f} p95" if "p95_ms" in q
                     else f"failed: {q['error']}")
            t.add_row(label, "queries", f"{name} p95 (ms)", value, f"{size['queries']['rss_mb']:,}",
                      *mark(n, "queries", f"{name} p95 (ms)"))
        for report, e in size["export"]["items"].items():
            figure = "posts transcript (s)" if report == "posts" else f"{report} (s)"
            rate = f" · {e['rows_per_s']:,} rows/s" if e["rows_per_s"] else ""
            t.add_row(label, "export", figure, f"{e['seconds']:.2f} s · {e['rows']:,} rows{rate}",
                      f"{size['export']['rss_mb']:,}", *mark(n, "export", figure))
        t.add_section()
    for g in results["growth"]:
        t.add_row(f"{_size(g['large_n'])}/{_size(g['small_n'])}", "growth", g["figure"], f"{g['ratio']:.2f}×", "",
                  g["target"], "[green]met[/]" if g["met"] else "[red]missed[/]")
    return t


def markdown(results: dict[str, Any]) -> str:
    """The main figures as a Markdown table, one column per size, for the README."""
    sizes = results["sizes"]
    m = results["machine"]
    head = "| figure | " + " | ".join(f"N = {_size(s['n'])}" for s in sizes) + " | target (at 1M) |"
    lines = [f"Measured {results['at']} on {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB, "
             f"DuckDB {m['duckdb']}; load average {m['load_at_start']} at the start, {m.get('load_at_end')} at the "
             f"end; medians of up to {results['runs']} runs.", "", head,
             "|---|" + "---|" * len(sizes) + "---|"]
    checks = {(c["n"], c["step"], c["figure"]): c for c in results["targets"]}

    def row(name: str, cell: Any, check: tuple[str, str] | None = None) -> None:
        cells = []
        for s in sizes:
            text = cell(s)
            c = checks.get((s["n"], *check)) if check else None
            cells.append(f"{text} {'✅' if c['met'] else '❌'}" if c else text)
        target = next((c["target"] for c in checks.values() if check and c["step"] == check[0]
                       and c["figure"] == check[1]), "")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {target} |")

    row("posts · statuses in the files · MB", lambda s: f"{s['posts']:,} · {s['statuses']:,} · {s['file_mb']:,.0f}")
    row("import: tagtrail import mastodon", lambda s: f"{s['import']['seconds']:.1f} s · "
        f"{s['import']['statuses_per_s']:,}/s · {s['import']['mb_per_s']} MB/s")
    row("import: floor (DuckDB read_json_objects)", lambda s: f"{s['floor']['seconds']:.1f} s · "
        f"{s['floor']['statuses_per_s']:,}/s · {s['floor']['mb_per_s']} MB/s")
    row("import throughput / floor", lambda s: f"{s['import_vs_floor']:.2f}", ("import", "throughput / floor"))
    row("import peak memory (MB)", lambda s: f"{s['import']['rss_mb']:,}", ("import", "peak memory (MB)"))
    row("full build (s) · peak MB", lambda s: f"{s['build_full']['seconds']:.1f} · {s['build_full']['rss_mb']:,}",
        ("build", "full (s)"))
    row("incremental build after +1% (s)", lambda s: f"{s['build_incremental']['seconds']:.1f} "
        f"({s['build_incremental']['share_of_full']:.0%} of full)", ("build", "incremental / full"))
    names = list(sizes[-1]["queries"]["items"]) if sizes else []
    for name in names:
        def q(s: dict[str, Any], name: str = name) -> str:
            item = s["queries"]["items"].get(name, {})
            return f"{item['median_ms']:.0f} / {item['p95_ms']:.0f}" if "p95_ms" in item else "fails"
        row(f"query {name} (ms, median / p95)", q, ("queries", f"{name} p95 (ms)"))
    for report in (sizes[-1]["export"]["items"] if sizes else {}):
        figure = "posts transcript (s)" if report == "posts" else f"{report} (s)"
        row(f"export {report} (s · rows/s)", lambda s, r=report: f"{s['export']['items'][r]['seconds']:.2f} · "
            f"{s['export']['items'][r]['rows_per_s'] or 0:,}", ("export", figure))
    if results["growth"]:
        g = results["growth"]
        worst = max(g, key=lambda x: x["ratio"])
        missed = ", ".join(f"{x['figure']} {x['ratio']:.1f}×" for x in g if not x["met"])
        lines += ["", f"Growth {_size(g[0]['large_n'])}/{_size(g[0]['small_n'])} (target {g[0]['target']}): "
                  + (f"{missed} missed; " if missed else "")
                  + f"worst {worst['figure']} {worst['ratio']:.1f}×; {sum(x['met'] for x in g)} of {len(g)} met."]
    return "\n".join(lines) + "\n"


def _models(models: dict[str, float]) -> str:
    return " · ".join(f"{name} {s:.2f}" for name, s in list(models.items())[:3])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, action="append", help="posts (repeatable; default 100000 and 1000000)")
    parser.add_argument("--10m", dest="ten_million", action="store_true", help="also 10,000,000 posts")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the median is reported)")
    parser.add_argument("--long-step", type=float, default=300.0,
                        help="seconds after which a step's first run is not repeated (its figure is then one run)")
    parser.add_argument("--query-runs", type=int, default=20, help="runs of each dashboard query")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench", help="generated data and scratch archives")
    parser.add_argument("--json", type=Path, default=None, help="where to write the figures [CACHE/results.json]")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.n or [100_000, 1_000_000]) | ({10_000_000} if args.ten_million else set()))
    args.cache.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": machine(), "runs": args.runs, "query_runs": args.query_runs,
                               "seed": args.seed, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "sizes": [], "targets": [], "growth": []}
    try:
        for n in sizes:
            size = measure(args.cache, n, seed=args.seed, runs=args.runs, query_runs=args.query_runs,
                           long_step=args.long_step)
            results["sizes"].append(size)
            results["targets"].extend(targets(size))
    except BenchError as e:
        err.print(f"benchmark: {e}", markup=False)
        return 1
    if len(results["sizes"]) > 1:
        results["growth"] = growth(results["sizes"][0], results["sizes"][-1])
    # other work on the machine slows every figure; the ratios to the floor and between sizes suffer least
    results["machine"]["load_at_end"] = round(os.getloadavg()[0], 2)
    out = args.json or args.cache / "results.json"
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(results), encoding="utf-8")
    Console(width=160).print(table(results))
    missed = [t for t in (*results["targets"], *results["growth"]) if not t["met"]]
    print(f"{len(missed)} of {len(results['targets']) + len(results['growth'])} targets missed; figures in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
