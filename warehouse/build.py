"""Run the SQL models (warehouse/models) in dependency order: staging -> core -> marts.

Each model is one SQL file named for the table it makes, whose first line says how it is materialized:
`-- materialized: incremental` (appends what the raw records added since its last build, read through the view
`new_raw_records`), `upsert KEY` (makes again only the rows it selects and replaces those with the same KEY: the
model selects every row when `last_built()` is 0, else only the rows that raw records newer than `last_built()`
may change), `table` (rebuilt every time) or `view`. Dependencies are found from the names a model mentions.
The whole build is one transaction: readers see the old marts or the new ones, never half of each.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import duckdb

from tagtrail.config import Config
from warehouse import html_text, layout
from warehouse.db import reading, writing

MODELS_DIR = Path(__file__).parent / "models"
_MATERIALIZED = re.compile(r"^--\s*materialized:\s*(incremental|upsert\s+\w+|table|view)\s*$", re.MULTILINE)
_COMMENT = re.compile(r"--[^\n]*")

# Tables the build makes from the configuration file, before any model runs.
CONFIG_TABLES = ("chat_config", "chat_hashtags", "chat_hosts", "build_settings")


@dataclass(frozen=True)
class Model:
    name: str
    path: Path
    materialized: str
    sql: str
    depends_on: frozenset[str]


@dataclass
class BuildReport:
    full: bool
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    new_raw_records: int = 0


def load_models(models_dir: Path = MODELS_DIR) -> list[Model]:
    """Every model file, in an order where each comes after what it reads."""
    found: dict[str, tuple[Path, str, str]] = {}
    for path in sorted(models_dir.rglob("*.sql")):
        if path.name == "macros.sql":
            continue
        text = path.read_text(encoding="utf-8")
        m = _MATERIALIZED.search(text)
        if not m:
            raise ValueError(f"{path}: first line must be '-- materialized: incremental|upsert KEY|table|view'")
        if path.stem in found:
            raise ValueError(f"{path}: a model named {path.stem!r} already exists at {found[path.stem][0]}")
        found[path.stem] = (path, " ".join(m.group(1).split()), text)
    models: dict[str, Model] = {}
    for name, (path, materialized, text) in found.items():
        code = _COMMENT.sub("", text)
        deps = frozenset(
            other for other in found if other != name and re.search(rf"\b{re.escape(other)}\b", code)
        )
        models[name] = Model(name, path, materialized, text.strip().rstrip(";"), deps)
    try:
        order = list(TopologicalSorter({n: m.depends_on for n, m in models.items()}).static_order())
    except CycleError as e:
        raise ValueError(f"models depend on each other in a cycle: {e.args[1]}") from None
    return [models[n] for n in order]


def _write_config_tables(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    con.execute(
        """CREATE OR REPLACE TEMP TABLE chat_config (
            chat VARCHAR, scheduled BOOLEAN, isodow INTEGER, start_time TIME, duration_min INTEGER,
            timezone VARCHAR, lead_in_min INTEGER, wrap_up_min INTEGER, gap_min INTEGER)"""
    )
    con.execute("CREATE OR REPLACE TEMP TABLE chat_hashtags (chat VARCHAR, hashtag VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE chat_hosts (chat VARCHAR, author_id VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE build_settings AS SELECT ?::BOOLEAN AS respect_opt_out",
                [config.respect_opt_out])

    def minutes(td: object) -> int:
        return int(td.total_seconds() // 60)  # type: ignore[attr-defined]

    for chat in config.chats:
        s = chat.schedule
        con.execute(
            "INSERT INTO chat_config VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                chat.name, s is not None, s.isodow if s else None, s.start if s else None,
                minutes(s.duration) if s else None, s.timezone if s else None,
                minutes(chat.lead_in), minutes(chat.wrap_up), minutes(chat.gap),
            ],
        )
        for tag in chat.hashtags:
            con.execute("INSERT INTO chat_hashtags VALUES (?, ?)", [chat.name, tag])
        for host in chat.hosts:
            con.execute("INSERT INTO chat_hosts VALUES (?, ?)", [chat.name, host.lower()])


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [name]
    ).fetchone()
    return bool(row and row[0])


def drop_models(con: duckdb.DuckDBPyConnection, models: list[Model]) -> None:
    for model in reversed(models):
        kind = "VIEW" if model.materialized == "view" else "TABLE"
        con.execute(f"DROP {kind} IF EXISTS {model.name}")
    con.execute("DELETE FROM build_state")


_LATEST_RAW_ID = "SELECT coalesce(max(raw_id), 0) FROM raw_records"


def latest_raw_id(db: Path | str) -> int:
    """The newest raw record's id (0 for none): what a build would have to catch up to."""
    if not Path(db).exists():
        return 0
    with reading(db) as con:
        return int(con.execute(_LATEST_RAW_ID).fetchone()[0])


def build(
    db: Path | str,
    config: Config,
    *,
    full: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> BuildReport:
    """Bring every derived table up to date with the raw records; `full` rebuilds everything from raw."""
    started = time.perf_counter()
    report = BuildReport(full=full)
    models = load_models()
    with writing(db) as con:
        html_text.register(con)
        layout.register(con)
        con.execute((MODELS_DIR / "macros.sql").read_text(encoding="utf-8"))
        _write_config_tables(con, config)
        if full:
            drop_models(con, models)
        max_raw = con.execute(_LATEST_RAW_ID).fetchone()[0]
        remade: set[str] = set()
        for i, model in enumerate(models):
            if progress:
                progress(model.name, i, len(models))
            report.new_raw_records = max(report.new_raw_records, _run(con, model, max_raw, remade))
            if model.materialized != "view":
                report.rows[model.name] = con.execute(f"SELECT count(*) FROM {model.name}").fetchone()[0]
        if progress:
            progress("done", len(models), len(models))
    report.seconds = time.perf_counter() - started
    return report


def _run(con: duckdb.DuckDBPyConnection, model: Model, max_raw: int, remade: set[str]) -> int:
    """Materialize one model; for an incremental one, return how many raw records it looked at. `remade` collects
    the incremental models made from scratch in this build: an upsert model reading one is made from scratch too,
    as the rows it already holds came from rows that are gone."""
    try:
        if model.materialized == "view":
            con.execute(f"CREATE OR REPLACE VIEW {model.name} AS {model.sql}")
            if model.depends_on & remade:
                remade.add(model.name)  # what reads the view reads the remade rows
            return 0
        if model.materialized == "table":
            con.execute(f"CREATE OR REPLACE TABLE {model.name} AS {model.sql}")
            return 0
        sql_md5 = hashlib.md5(model.sql.encode("utf-8")).hexdigest()
        row = con.execute("SELECT last_raw_id, sql_md5 FROM build_state WHERE model = ?", [model.name]).fetchone()
        # a model whose SQL changed since it was built (a new tagtrail) starts again from the first raw record
        last = row[0] if row and row[1] == sql_md5 and _table_exists(con, model.name) else 0
        if model.materialized != "incremental" and model.depends_on & remade:
            last = 0
        if last == 0:
            remade.add(model.name)
        con.execute(f"CREATE OR REPLACE TEMP MACRO last_built() AS {int(last)}")
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW new_raw_records AS
                SELECT * FROM raw_records WHERE raw_id > {int(last)} AND raw_id <= {int(max_raw)}"""
        )
        if last == 0:
            con.execute(f"CREATE OR REPLACE TABLE {model.name} AS {model.sql}")
        elif model.materialized == "incremental":
            con.execute(f"INSERT INTO {model.name} BY NAME {model.sql}")
        else:
            key = model.materialized.split()[1]
            con.execute(f"CREATE OR REPLACE TEMP TABLE _upsert AS {model.sql}")
            con.execute(f"DELETE FROM {model.name} WHERE {key} IN (SELECT {key} FROM _upsert)")
            con.execute(f"INSERT INTO {model.name} BY NAME SELECT * FROM _upsert")
            con.execute("DROP TABLE _upsert")
        con.execute(
            "INSERT OR REPLACE INTO build_state (model, last_raw_id, built_at, sql_md5) VALUES (?, ?, now(), ?)",
            [model.name, max_raw, sql_md5],
        )
        return int(max_raw - last)
    except duckdb.Error as e:
        first = str(e).splitlines()[0]
        raise RuntimeError(f"{model.path.relative_to(MODELS_DIR.parent.parent)}: {first}") from e
