"""Run the SQL models (warehouse/models) in dependency order: staging -> core -> marts.

Each model is one SQL file named for the table it makes, whose first line says how it is materialized:
- `incremental`: appends what the raw records added since its last build, read through the view `new_raw_records`;
- `upsert KEY[, KEY…] [in SCOPE]`: makes again only the rows it selects. It selects every row when `last_built()`
  is 0, else only the rows that raw records newer than `last_built()` may change; the old rows with the KEY of a
  selected row, or (with `in SCOPE`) with a KEY found in the table SCOPE, are replaced by the selected rows. SCOPE
  names the rows that may be gone now (a post deleted since, a session that lost its last post);
- `table [KEY, …]`: made again whole every time;
- `view`.
After an upsert model, and a table model that names its KEYs, the temp table `changed_<model>` holds the rows that
differ from the last build, old and new (a row gone, a row new, both versions of a row altered), so that later
models can remake only what those rows feed, reading where things were (a post's old session) and are. When the
model was made from scratch, changed_<model> is empty and every model reading the model is made from scratch too.
The KEYs of an upsert need not be unique: all the rows of a KEY are replaced together (chat_memberships: every chat
of a post). A model whose SQL, or the configuration it reads, changed since its last build is made from scratch.
Dependencies are found from the names a model mentions (`changed_<model>` depends on the model). The whole build is
one transaction: readers see the old marts or the new ones, never half of each.
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
_KEYS = r"\w+(?:\s*,\s*\w+)*"
_MATERIALIZED = re.compile(
    rf"^--\s*materialized:\s*(incremental|upsert\s+{_KEYS}(?:\s+in\s+\w+)?|table(?:\s+{_KEYS})?|view)\s*$",
    re.MULTILINE,
)
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

    @property
    def kind(self) -> str:
        return self.materialized.split()[0]

    @property
    def keys(self) -> list[str]:
        """The KEY columns of an upsert or a keyed table (none for the others)."""
        rest = self.materialized[len(self.kind):].split(" in ")[0]
        return [k.strip() for k in rest.split(",") if k.strip()]

    @property
    def scope(self) -> str | None:
        """The table naming the rows an upsert may have to remove (`upsert KEY in SCOPE`)."""
        parts = self.materialized.split(" in ")
        return parts[1].strip() if len(parts) > 1 else None


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
            raise ValueError(
                f"{path}: first line must be '-- materialized: incremental|upsert KEY[, KEY…] [in SCOPE]|table [KEY, …]|view'"
            )
        if path.stem in found:
            raise ValueError(f"{path}: a model named {path.stem!r} already exists at {found[path.stem][0]}")
        found[path.stem] = (path, re.sub(r"\s*,\s*", ", ", " ".join(m.group(1).split())), text)
    models: dict[str, Model] = {}
    for name, (path, materialized, text) in found.items():
        code = _COMMENT.sub("", text) + " " + materialized.partition(" in ")[2]
        deps = frozenset(
            other for other in found
            if other != name and re.search(rf"\b(?:changed_)?{re.escape(other)}\b", code)
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
        kind = "VIEW" if model.kind == "view" else "TABLE"
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
        else:
            # An incremental build deletes and appends a few rows in many large tables; the checkpoint at its commit
            # would merge ("vacuum") each touched row group with its neighbours, rewriting far more than changed
            # (and raw_records' last row groups, which imports leave partly filled). A full build compacts them.
            con.execute("SET max_vacuum_tasks = 0")
        max_raw = con.execute(_LATEST_RAW_ID).fetchone()[0]
        settings = _config_digest(con)
        remade: set[str] = set()
        for i, model in enumerate(models):
            if progress:
                progress(model.name, i, len(models))
            report.new_raw_records = max(report.new_raw_records, _run(con, model, max_raw, remade, settings))
            if model.kind != "view":
                report.rows[model.name] = con.execute(f"SELECT count(*) FROM {model.name}").fetchone()[0]
        if progress:
            progress("done", len(models), len(models))
    report.seconds = time.perf_counter() - started
    return report


def _config_digest(con: duckdb.DuckDBPyConnection) -> str:
    """What the configuration tables hold, as a digest: an incremental model reading them starts again from scratch
    when it changes (a new hashtag, schedule or host, opting out respected or not)."""
    held = [con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in CONFIG_TABLES]
    return hashlib.md5(repr(held).encode("utf-8")).hexdigest()


def _run(
    con: duckdb.DuckDBPyConnection, model: Model, max_raw: int, remade: set[str], settings: str = ""
) -> int:
    """Materialize one model; for an incremental one, return how many raw records it looked at. `remade` collects
    the incremental models made from scratch in this build: an upsert model reading one is made from scratch too,
    as the rows it already holds came from rows that are gone. `settings` is the configuration's digest."""
    try:
        if model.kind == "view":
            con.execute(f"CREATE OR REPLACE VIEW {model.name} AS {model.sql}")
            if model.depends_on & remade:
                remade.add(model.name)  # what reads the view reads the remade rows
            return 0
        reads_config = any(re.search(rf"\b{t}\b", _COMMENT.sub("", model.sql)) for t in CONFIG_TABLES)
        sql_md5 = hashlib.md5((model.sql + (settings if reads_config else "")).encode("utf-8")).hexdigest()
        row = con.execute("SELECT last_raw_id, sql_md5 FROM build_state WHERE model = ?", [model.name]).fetchone()
        # a model whose SQL (or the configuration it reads) changed since it was built starts again from scratch
        same = bool(row and row[1] == sql_md5 and _table_exists(con, model.name)) and not model.depends_on & remade
        if model.kind == "table":
            if model.keys and same:
                # compared with the rows it holds, and only the KEYs that differ rewritten
                con.execute(f"CREATE OR REPLACE TEMP TABLE _new AS {model.sql}")
                _record_changes(con, model, old=model.name)
                _replace_changed(con, model)
            else:
                con.execute(f"CREATE OR REPLACE TABLE {model.name} AS {model.sql}")
                if model.keys:
                    _record_all(con, model)
                    remade.add(model.name)
            if model.keys:
                _record_state(con, model.name, max_raw, sql_md5)
            return 0
        last = row[0] if row and row[1] == sql_md5 and _table_exists(con, model.name) else 0
        if model.kind != "incremental" and model.depends_on & remade:
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
            if model.kind == "upsert":
                _record_all(con, model)
        elif model.kind == "incremental":
            con.execute(f"INSERT INTO {model.name} BY NAME {model.sql}")
        else:
            _upsert(con, model)
        _record_state(con, model.name, max_raw, sql_md5)
        return int(max_raw - last)
    except duckdb.Error as e:
        first = str(e).splitlines()[0]
        raise RuntimeError(f"{model.path.relative_to(MODELS_DIR.parent.parent)}: {first}") from e


def _record_state(con: duckdb.DuckDBPyConnection, name: str, max_raw: int, sql_md5: str) -> None:
    con.execute(
        "INSERT OR REPLACE INTO build_state (model, last_raw_id, built_at, sql_md5) VALUES (?, ?, now(), ?)",
        [name, max_raw, sql_md5],
    )


def _same_keys(model: Model, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{k} IS NOT DISTINCT FROM {right}.{k}" for k in model.keys)


def _record_all(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """A model made from scratch: no row to compare, and every reader of it is made from scratch too."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE changed_{model.name} AS SELECT * FROM {model.name} LIMIT 0")


def _record_changes(con: duckdb.DuckDBPyConnection, model: Model, old: str) -> None:
    """changed_<model>: the rows of `old` and of the temp table _new that the other lacks (compared as bags)."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE changed_{model.name} AS
            (SELECT * FROM _new EXCEPT ALL SELECT * FROM {old})
            UNION ALL
            (SELECT * FROM {old} EXCEPT ALL SELECT * FROM _new)"""
    )


def _upsert(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Replace the rows of the KEYs the model selected (and of the KEYs in its scope) where they changed."""
    keys = ", ".join(model.keys)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _new AS {model.sql}")
    scope = f"SELECT {keys} FROM _new" + (f" UNION SELECT {keys} FROM {model.scope}" if model.scope else "")
    # found by the KEY columns alone, then fetched by row id: no scan of every row's wide columns (a post's HTML)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _old AS
            SELECT * FROM {model.name} WHERE rowid IN (
                SELECT m.rowid FROM {model.name} m SEMI JOIN ({scope}) s ON {_same_keys(model, 'm', 's')})"""
    )
    _record_changes(con, model, old="_old")
    con.execute("DROP TABLE _old")
    _replace_changed(con, model)


def _replace_changed(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Replace the rows of the KEYs in changed_<model> by those in the temp table _new."""
    keys = ", ".join(model.keys)
    changed = f"(SELECT DISTINCT {keys} FROM changed_{model.name})"
    con.execute(f"DELETE FROM {model.name} m USING {changed} c WHERE {_same_keys(model, 'm', 'c')}")
    con.execute(
        f"""INSERT INTO {model.name} BY NAME
            SELECT n.* FROM _new n SEMI JOIN {changed} c ON {_same_keys(model, 'n', 'c')}"""
    )
    con.execute("DROP TABLE _new")
