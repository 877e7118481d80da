"""The archive's stored tables and their migrations. Opening an older archive for writing upgrades it.

Only what cannot be rebuilt lives here: raw records, rejected input, checkpoints and the capture log. Every other
table is made by the SQL models (warehouse/models) and can be dropped and rebuilt from raw records.
"""

from __future__ import annotations

import duckdb

# Each migration moves the schema from version i to i+1. Never edit one that has shipped; append a new one.
MIGRATIONS: list[str] = [
    # 1: raw records, rejects, checkpoints, capture log
    """
    CREATE SEQUENCE raw_id_seq START 1;
    CREATE TABLE raw_records (
        raw_id BIGINT NOT NULL DEFAULT nextval('raw_id_seq'),
        source VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        origin VARCHAR NOT NULL,
        query VARCHAR,
        is_context BOOLEAN NOT NULL DEFAULT FALSE,
        fetched_at TIMESTAMPTZ NOT NULL,
        file VARCHAR,
        line BIGINT,
        payload VARCHAR NOT NULL,
        payload_md5 UHUGEINT NOT NULL
    );
    CREATE TABLE rejected_records (
        source VARCHAR NOT NULL,
        origin VARCHAR NOT NULL,
        file VARCHAR,
        line BIGINT,
        error VARCHAR NOT NULL,
        text VARCHAR,
        rejected_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE checkpoints (
        source VARCHAR NOT NULL,
        origin VARCHAR NOT NULL,
        key VARCHAR NOT NULL,
        newest_id VARCHAR,
        oldest_id VARCHAR,
        newest_at TIMESTAMPTZ,
        updated_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (source, origin, key)
    );
    CREATE TABLE capture_log (
        source VARCHAR NOT NULL,
        origin VARCHAR NOT NULL,
        key VARCHAR NOT NULL,
        posts BIGINT NOT NULL,
        error VARCHAR,
        logged_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE build_state (
        model VARCHAR PRIMARY KEY,
        last_raw_id BIGINT NOT NULL,
        built_at TIMESTAMPTZ NOT NULL
    );
    """,
    # 2: an incremental model whose SQL changed is rebuilt from scratch rather than appended to
    """
    ALTER TABLE build_state ADD COLUMN sql_md5 VARCHAR;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMPTZ)")
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration the archive has not seen yet, each in its own transaction."""
    version = current_version(con)
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"this archive has schema version {version}, newer than this tagtrail ({SCHEMA_VERSION}); upgrade tagtrail"
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        con.execute("BEGIN TRANSACTION")
        con.execute(MIGRATIONS[target - 1])
        con.execute("INSERT INTO schema_version VALUES (?, now())", [target])
        con.execute("COMMIT")
    return SCHEMA_VERSION
