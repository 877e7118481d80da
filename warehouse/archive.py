"""The archive as collectors see it: a Sink for raw records and a CheckpointStore, over one DuckDB file.

Raw records are stored verbatim and append-only. Storing is idempotent: a payload already held for the same
source and origin is not stored again (compared by its MD5), so importing a file twice changes nothing and a
collector may re-read an overlap freely. Each write is one short transaction that also carries the checkpoints
the records advance, so a crash at any moment loses nothing and duplicates nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TypeVar

import duckdb
import pyarrow as pa

from collectors.records import CaptureEvent, Checkpoint, RawRecord
from warehouse.db import connect, reading, writing

_RAW_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("kind", pa.string()),
        ("origin", pa.string()),
        ("query", pa.string()),
        ("is_context", pa.bool_()),
        ("fetched_at", pa.timestamp("us", tz="UTC")),
        ("file", pa.string()),
        ("line", pa.int64()),
        ("payload", pa.string()),
    ]
)

# How long one import holds the archive file before handing it to any other process waiting for it.
HOLD_SECONDS = 5.0

# DuckDB keeps the blocks it writes cached up to its memory limit (80% of RAM by default); an import needs little.
IMPORT_MEMORY = "512MB"

# Insert what is new: not held already for this source and origin, and not repeated within the batch. The batch is
# first materialized with its MD5 in a temp table (whose rowid keeps the input order); repeats within it, rare, are
# dropped only when a narrow count finds some, so the common case never carries payloads through a hash table.
_HAS_REPEATS = "SELECT count(*) <> count(DISTINCT {key}) FROM {table} WHERE {good}"
_DROP_REPEATS = """
DELETE FROM {table}
WHERE {good} AND rowid NOT IN (
    SELECT arg_min(rowid, (line IS NULL, line, rowid)) FROM {table} WHERE {good} GROUP BY {key})
"""
_INSERT_NEW = """
INSERT INTO raw_records (source, kind, origin, query, is_context, fetched_at, file, line, payload, payload_md5)
SELECT source, kind, origin, query, is_context, fetched_at, file, line, payload, h
FROM ({rows}) b
WHERE NOT EXISTS (
    SELECT 1 FROM raw_records r WHERE r.payload_md5 = b.h AND r.origin = b.origin AND r.source = b.source
)
ORDER BY line NULLS LAST, seq
"""

# What a status line must hold, read in one parse of the line (each JSON function call parses its input again).
_STATUS_FIELDS = (
    '{"event": "VARCHAR", "payload": "JSON", "uri": "VARCHAR", "id": "VARCHAR", "created_at": "VARCHAR", '
    '"account": "JSON"}'
)

# Sort one numbered line of a Mastodon file into a status, a delete, an API page or an error. Streaming events
# carry their payload either as an object or, as Mastodon sends it, as a string holding the JSON. The common case,
# a line holding one status, is parsed twice (validated, then its fields read); the rare shapes take slower paths.
_CLASSIFY_MASTODON_LINES = """
WITH parsed AS (
    SELECT line, text, json_valid(text) AS ok, left(ltrim(text, chr(9) || chr(10) || chr(13) || ' '), 1) AS head
    FROM {lines}
), typed AS (
    SELECT line, text, ok,
        CASE WHEN NOT ok THEN NULL WHEN head = '{{' THEN 'OBJECT' WHEN head = '[' THEN 'ARRAY' ELSE json_type(text) END
            AS jtype
    FROM parsed
), items AS (
    SELECT line, text AS item, jtype, ok FROM typed WHERE jtype IS DISTINCT FROM 'ARRAY'
    UNION ALL
    SELECT line, unnest(json_extract(text, '$[*]'))::VARCHAR AS item, 'ELEMENT' AS jtype, ok
    FROM typed WHERE jtype = 'ARRAY'
), fields AS (
    SELECT line, item, jtype, ok,
        CASE WHEN jtype = 'OBJECT' OR (jtype = 'ELEMENT' AND json_type(item) = 'OBJECT')
            THEN json_transform(item, '{fields}') END AS f
    FROM items
), unwrapped AS (
    SELECT line, jtype, ok, f.event AS event,
        CASE
            WHEN f.event IS NULL THEN item
            WHEN f.event = 'delete' THEN to_json(f.payload->>'$')::VARCHAR
            WHEN json_type(f.payload) = 'VARCHAR' THEN f.payload->>'$'
            ELSE f.payload::VARCHAR
        END AS payload,
        f
    FROM fields
), statuses AS (
    SELECT line, jtype, ok, event, payload,
        CASE
            WHEN event IS NULL THEN f
            WHEN event IN ('update', 'status.update') AND json_valid(payload) AND json_type(payload) = 'OBJECT'
                THEN json_transform(payload, '{fields}')
        END AS s
    FROM unwrapped
)
SELECT line,
    CASE WHEN event = 'delete' THEN 'delete' ELSE 'status' END AS kind,
    payload,
    CASE
        WHEN NOT ok THEN 'not valid JSON'
        WHEN jtype NOT IN ('OBJECT', 'ELEMENT') THEN 'not a JSON object (a ' || CASE
            WHEN jtype IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN 'number' WHEN jtype = 'VARCHAR' THEN 'string'
            ELSE lower(jtype) END || ')'
        WHEN event IS NOT NULL AND event NOT IN ('update', 'status.update', 'delete')
            THEN 'unsupported streaming event ' || to_json(event)
        WHEN event = 'delete' AND coalesce(payload, 'null') = 'null' THEN 'delete event without a status id'
        WHEN event = 'delete' THEN NULL
        WHEN s IS NULL THEN 'status is not a JSON object'
        WHEN s.uri IS NULL THEN 'not a Mastodon status: no "uri"'
        WHEN s.id IS NULL THEN 'not a Mastodon status: no "id"'
        WHEN s.created_at IS NULL THEN 'not a Mastodon status: no "created_at"'
        WHEN left(s.account, 1) IS DISTINCT FROM '{{' THEN 'not a Mastodon status: no "account"'
        WHEN try_cast(s.created_at AS TIMESTAMPTZ) IS NULL THEN 'bad "created_at" timestamp'
    END AS error
FROM statuses
""".replace("{fields}", _STATUS_FIELDS.replace("{", "{{").replace("}", "}}"))


# The common line, one Status entity, is recognized in one parse that reads only what a status must hold. Such a
# line is stored as it is; every other line (an API page, a streaming event, anything malformed) goes through the
# full classification above. `plain` is true only for lines that classification would store as a status unchanged.
_PLAIN_STATUS_SHAPE = (
    '{"event": "VARCHAR", "uri": "VARCHAR", "id": "VARCHAR", "created_at": "VARCHAR", "account": {"id": "VARCHAR"}}'
)
_SORT_BLOCK = f"""
CREATE OR REPLACE TEMP TABLE _sorted AS
SELECT line, plain, CASE WHEN plain THEN md5_number(text) END AS h
FROM (
    SELECT line, text, coalesce(
        s.event IS NULL AND s.uri IS NOT NULL AND s.id IS NOT NULL AND s.account.id IS NOT NULL
            AND try_cast(s.created_at AS TIMESTAMPTZ) IS NOT NULL,
        FALSE) AS plain
    FROM (SELECT line, text, try(json_transform(text, '{_PLAIN_STATUS_SHAPE}')) AS s FROM _block)
)
"""
# The plain statuses not held yet for this instance, each payload once (from its first line), lined up with the
# block's rows (h is NULL where nothing is to be stored) so that the insert reads both side by side, in order,
# without carrying payloads through a join or a sort.
_NEW_PLAIN = """
CREATE OR REPLACE TEMP TABLE _new AS
SELECT s.line, n.h
FROM _sorted s LEFT JOIN (
    SELECT line, h FROM _sorted s
    WHERE plain AND NOT EXISTS (
        SELECT 1 FROM raw_records r WHERE r.payload_md5 = s.h AND r.origin = $origin AND r.source = 'mastodon')
    QUALIFY row_number() OVER (PARTITION BY h ORDER BY line) = 1
) n USING (line)
ORDER BY s.line
"""
_INSERT_PLAIN = """
INSERT INTO raw_records (source, kind, origin, query, is_context, fetched_at, file, line, payload, payload_md5)
SELECT 'mastodon', 'status', $origin, NULL, FALSE, $fetched_at, $file, b.line, b.text, n.h
FROM _block b POSITIONAL JOIN _new n
WHERE n.h IS NOT NULL
"""

# DuckDB writes a transaction's appended rows straight into the file a row group (122,880 rows) at a time; what is
# left over when it commits goes through the write-ahead log and is written again by the next checkpoint. So an
# import commits just after its new records fill a row group, once it has held the file HOLD_SECONDS.
ROW_GROUP_ROWS = 122_880


class LineBlock(Protocol):
    """Whole lines of a file: an Arrow table (line: int64, text: string), blank lines left out."""

    @property
    def lines(self) -> pa.Table: ...


_Block = TypeVar("_Block", bound=LineBlock)


@dataclass
class StoreResult:
    """What one batch (or a whole import) did."""

    new: int = 0
    duplicates: int = 0
    rejected: list[tuple[int | None, str]] = field(default_factory=list)

    def add(self, other: StoreResult) -> None:
        self.new += other.new
        self.duplicates += other.duplicates
        self.rejected.extend(other.rejected)


class Archive:
    """One archive file. Implements collectors.records.Sink and CheckpointStore."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    # --- Sink -------------------------------------------------------------------------------------------
    def write(self, records: Sequence[RawRecord], checkpoints: Sequence[Checkpoint] = ()) -> int:
        table = pa.Table.from_pylist(
            [
                {
                    "source": r.source,
                    "kind": r.kind,
                    "origin": r.origin,
                    "query": r.query,
                    "is_context": r.is_context,
                    "fetched_at": r.fetched_at.astimezone(UTC),
                    "file": r.file,
                    "line": r.line,
                    "payload": r.payload,
                }
                for r in records
            ],
            schema=_RAW_SCHEMA,
        )
        with writing(self.path) as con:
            new = _insert_raw(con, table) if len(table) else 0
            for cp in checkpoints:
                _save_checkpoint(con, cp)
        return new

    def log(self, event: CaptureEvent) -> None:
        with writing(self.path) as con:
            con.execute(
                "INSERT INTO capture_log VALUES (?, ?, ?, ?, ?, ?)",
                [event.source, event.origin, event.key, event.posts, event.error, event.at],
            )

    # --- CheckpointStore ----------------------------------------------------------------------------------
    def checkpoint(self, source: str, origin: str, key: str) -> Checkpoint | None:
        with writing(self.path) as con:
            row = con.execute(
                "SELECT newest_id, oldest_id, newest_at FROM checkpoints WHERE source=? AND origin=? AND key=?",
                [source, origin, key],
            ).fetchone()
        if row is None:
            return None
        return Checkpoint(source, origin, key, newest_id=row[0], oldest_id=row[1], newest_at=row[2])

    # --- files of Mastodon statuses -----------------------------------------------------------------------
    def store_mastodon_blocks(
        self, blocks: Iterable[_Block], *, instance: str, file: str, fetched_at: datetime
    ) -> Iterator[tuple[_Block, StoreResult]]:
        """Validate and store blocks of numbered lines of a Mastodon JSON Lines file (see LineBlock); yields each
        block with what it did once it is committed. Bad lines are kept aside with the reason.

        One connection serves many blocks. A transaction covers blocks until the file has been held HOLD_SECONDS and
        the new records just filled a row group (see ROW_GROUP_ROWS), or until twice that long; the file is then
        handed back so that other processes waiting for it get their turn."""
        con: duckdb.DuckDBPyConnection | None = None
        done: list[tuple[_Block, StoreResult]] = []
        held_since, pending_rows = 0.0, 0
        try:
            for block in blocks:
                if con is None:
                    con, held_since = connect(self.path), time.monotonic()
                    con.execute(f"SET memory_limit = '{IMPORT_MEMORY}'")
                    # Its checkpoint would otherwise merge each commit's last, partly filled row group into the
                    # next one, rewriting megabytes of payloads every time the file is handed back.
                    con.execute("SET max_vacuum_tasks = 0")
                if not done:
                    con.execute("BEGIN TRANSACTION")
                try:
                    result = _store_block(con, block.lines, instance=instance, file=file, fetched_at=fetched_at)
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                done.append((block, result))
                filled = (pending_rows + result.new) // ROW_GROUP_ROWS > pending_rows // ROW_GROUP_ROWS
                pending_rows += result.new
                held = time.monotonic() - held_since
                if (held > HOLD_SECONDS and filled) or held > 2 * HOLD_SECONDS:
                    con.execute("COMMIT")
                    con.close()
                    con = None
                    yield from done
                    done, pending_rows = [], 0
            if con is not None and done:
                con.execute("COMMIT")
                yield from done
        finally:
            if con is not None:
                con.close()

    def store_mastodon_array(self, path: Path, *, instance: str, file: str, fetched_at: datetime) -> StoreResult:
        """Store a file that is one JSON array of statuses; 'line' is then the element's position (from 1)."""
        with writing(self.path) as con:
            try:
                con.execute(
                    """CREATE OR REPLACE TEMP TABLE _lines AS
                       SELECT row_number() OVER () AS line, json::VARCHAR AS text
                       FROM read_json_objects(?, format = 'array')""",
                    [str(path)],
                )
            except duckdb.Error as e:
                first = str(e).splitlines()[0]
                return StoreResult(rejected=[(None, f"not a JSON array of statuses: {first}")])
            return _store_classified(con, "_lines", instance=instance, file=file, fetched_at=fetched_at)

    # --- input other importers could not use --------------------------------------------------------------
    def reject(
        self,
        source: str,
        origin: str,
        rejects: Sequence[tuple[str | None, int | None, str, str | None]],
        *,
        at: datetime,
    ) -> int:
        """Keep aside (file, line, reason, text) of lines an importer could not use; a line kept before (same
        origin, file, line and text) is not kept twice. Returns how many were new."""
        if not rejects:
            return 0
        batch = pa.table(
            {
                "file": pa.array([r[0] for r in rejects], pa.string()),
                "line": pa.array([r[1] for r in rejects], pa.int64()),
                "error": pa.array([r[2] for r in rejects], pa.string()),
                "text": pa.array([r[3] for r in rejects], pa.string()),
            }
        )
        with writing(self.path) as con:
            con.register("_rejects", batch)
            try:
                row = con.execute(
                    """INSERT INTO rejected_records
                       SELECT ?, ?, file, line, error, text, ? FROM _rejects b
                       WHERE NOT EXISTS (
                           SELECT 1 FROM rejected_records r
                           WHERE r.source = ? AND r.origin = ? AND r.file IS NOT DISTINCT FROM b.file
                             AND r.line IS NOT DISTINCT FROM b.line AND r.text IS NOT DISTINCT FROM b.text)""",
                    [source, origin, at, source, origin],
                ).fetchone()
            finally:
                con.unregister("_rejects")
        return int(row[0]) if row else 0

    def held_posts(self, post_ids: Sequence[str]) -> set[str]:
        """Which of these post ids the built archive already holds (an unbuilt archive holds none)."""
        if not post_ids or not self.path.exists():
            return set()
        with reading(self.path) as con:
            built = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'posts' AND NOT temporary"
            ).fetchone()[0]
            if not built:
                return set()
            found = con.execute("SELECT post_id FROM posts WHERE list_contains(?, post_id)", [list(post_ids)])
            return {r[0] for r in found.fetchall()}

    def stats(self) -> dict[str, int]:
        with writing(self.path) as con:
            raw = con.execute("SELECT count(*) FROM raw_records").fetchone()[0]
            rejected = con.execute("SELECT count(*) FROM rejected_records").fetchone()[0]
        return {"raw_records": raw, "rejected_records": rejected}


def _store_block(
    con: duckdb.DuckDBPyConnection, lines: pa.Table, *, instance: str, file: str, fetched_at: datetime
) -> StoreResult:
    """Store one block of numbered lines: the plain statuses straight from the block, the rest classified."""
    con.register("_block", lines)
    try:
        con.execute(_SORT_BLOCK)
        con.execute(_NEW_PLAIN, {"origin": instance})
        new = con.execute(_INSERT_PLAIN, {"origin": instance, "file": file, "fetched_at": fetched_at}).fetchone()[0]
        plain = con.execute("SELECT count(*) FROM _sorted WHERE plain").fetchone()[0]
        result = StoreResult(new=int(new), duplicates=int(plain - new))
        if plain < len(lines):
            con.execute("CREATE OR REPLACE TEMP TABLE _odd AS SELECT line, text FROM _block ANTI JOIN _sorted s "
                        "ON _block.line = s.line AND s.plain")
            result.add(_store_classified(con, "_odd", instance=instance, file=file, fetched_at=fetched_at))
            con.execute("DROP TABLE _odd")
        con.execute("DROP TABLE _new")
        con.execute("DROP TABLE _sorted")
        return result
    finally:
        con.unregister("_block")


def _store_classified(
    con: duckdb.DuckDBPyConnection, lines: str, *, instance: str, file: str, fetched_at: datetime
) -> StoreResult:
    """Classify the numbered lines of a table (line, text), keep the bad ones aside, store the rest."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _classified AS
            SELECT *, CASE WHEN error IS NULL THEN md5_number(payload) END AS h
            FROM ({_CLASSIFY_MASTODON_LINES.format(lines=lines)})"""
    )
    rejected = con.execute("SELECT line, error FROM _classified WHERE error IS NOT NULL ORDER BY line").fetchall()
    if rejected:
        con.execute(
            """INSERT INTO rejected_records
               SELECT 'mastodon', ?, ?, line, error, payload, ? FROM _classified c
               WHERE error IS NOT NULL AND NOT EXISTS (
                   SELECT 1 FROM rejected_records r
                   WHERE r.origin = ? AND r.file IS NOT DISTINCT FROM ? AND r.line = c.line AND r.text = c.payload)""",
            [instance, file, fetched_at, instance, file],
        )
    stored = con.execute("SELECT count(*) FROM _classified WHERE error IS NULL").fetchone()[0]
    good = """SELECT 'mastodon' AS source, kind, $origin::VARCHAR AS origin, NULL::VARCHAR AS query,
                     FALSE AS is_context, $fetched_at::TIMESTAMPTZ AS fetched_at, $file::VARCHAR AS file, line,
                     payload, h, rowid AS seq
              FROM _classified WHERE error IS NULL"""
    new = _insert_hashed(
        con, "_classified", "error IS NULL", "h", good, {"origin": instance, "fetched_at": fetched_at, "file": file}
    )
    con.execute("DROP TABLE _classified")
    return StoreResult(new=new, duplicates=stored - new, rejected=[(int(n), str(e)) for n, e in rejected])


def _insert_raw(con: duckdb.DuckDBPyConnection, batch: pa.Table) -> int:
    """Insert a batch of raw records given as an Arrow table (_RAW_SCHEMA)."""
    con.register("_batch", batch)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _hashed AS SELECT *, md5_number(payload) AS h FROM _batch")
    finally:
        con.unregister("_batch")
    new = _insert_hashed(con, "_hashed", "TRUE", "(source, origin, h)", "SELECT *, rowid AS seq FROM _hashed", {})
    con.execute("DROP TABLE _hashed")
    return new


def _insert_hashed(
    con: duckdb.DuckDBPyConnection, table: str, good: str, key: str, rows: str, params: dict[str, object]
) -> int:
    """Insert the `good` rows of a hashed temp table, read through the query `rows`, that are not stored yet."""
    if con.execute(_HAS_REPEATS.format(table=table, good=good, key=key)).fetchone()[0]:
        con.execute(_DROP_REPEATS.format(table=table, good=good, key=key))
    row = con.execute(_INSERT_NEW.format(rows=rows), params).fetchone()
    return int(row[0]) if row else 0


def _save_checkpoint(con: duckdb.DuckDBPyConnection, cp: Checkpoint) -> None:
    con.execute(
        """INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, now())
           ON CONFLICT (source, origin, key) DO UPDATE SET
             newest_id = coalesce(excluded.newest_id, checkpoints.newest_id),
             oldest_id = coalesce(excluded.oldest_id, checkpoints.oldest_id),
             newest_at = coalesce(excluded.newest_at, checkpoints.newest_at),
             updated_at = excluded.updated_at""",
        [cp.source, cp.origin, cp.key, cp.newest_id, cp.oldest_id, cp.newest_at],
    )
