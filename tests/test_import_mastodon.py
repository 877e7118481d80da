"""Importing files of Mastodon statuses: verbatim, idempotent, bad lines kept aside with their line numbers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from factories import rows, status, write_jsonl

from collectors.archives.mastodon import detect_format, read_blocks
from warehouse.archive import Archive, StoreResult

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def import_file(db: Path, path: Path, instance: str) -> StoreResult:
    archive = Archive(db)
    total = StoreResult()
    if detect_format(path) == "array":
        total.add(archive.store_mastodon_array(path, instance=instance, file=str(path), fetched_at=NOW))
        return total
    blocks = read_blocks(path, batch_bytes=256)  # tiny blocks: lines straddle block edges
    for _, result in archive.store_mastodon_blocks(blocks, instance=instance, file=str(path), fetched_at=NOW):
        total.add(result)
    return total


def sample(n: int, **kw: object) -> dict:
    return status(n=n, user="ann", home="a.social", serving="a.social", local_id=str(100 + n),
                  created_at=f"2026-03-06T01:0{n}:00.000Z", html=f"<p>post {n} #CTQCollab</p>", **kw)


def test_payloads_are_stored_verbatim_with_provenance(tmp_path: Path) -> None:
    line = json.dumps(sample(1), indent=None, separators=(", ", ": "))
    path = tmp_path / "a.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    result = import_file(tmp_path / "t.duckdb", path, "a.social")
    assert (result.new, result.duplicates, result.rejected) == (1, 0, [])
    [(payload, source, kind, origin, file, lineno)] = rows(
        tmp_path / "t.duckdb", "SELECT payload, source, kind, origin, file, line FROM raw_records")
    assert payload == line
    assert (source, kind, origin, file, lineno) == ("mastodon", "status", "a.social", str(path), 1)


def test_importing_the_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [sample(1), sample(2), sample(3)])
    db = tmp_path / "t.duckdb"
    first = import_file(db, path, "a.social")
    second = import_file(db, path, "a.social")
    assert (first.new, second.new, second.duplicates) == (3, 0, 3)
    assert rows(db, "SELECT count(*) FROM raw_records") == [(3,)]


def test_malformed_lines_are_counted_kept_aside_and_do_not_stop_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(
        "\n".join([
            json.dumps(sample(1)),
            "{this is not json",
            json.dumps({"id": "5", "note": "an account, not a status"}),
            "",
            "42",
            json.dumps(sample(2)),
        ]) + "\n",
        encoding="utf-8",
    )
    db = tmp_path / "t.duckdb"
    result = import_file(db, path, "a.social")
    assert result.new == 2
    assert result.rejected == [
        (2, "not valid JSON"),
        (3, 'not a Mastodon status: no "uri"'),
        (5, "not a JSON object (a number)"),
    ]
    kept = rows(db, "SELECT line, error, text FROM rejected_records ORDER BY line")
    assert [(k[0], k[2]) for k in kept] == [(2, "{this is not json"), (3, json.dumps({"id": "5", "note": "an account, not a status"})), (5, "42")]
    import_file(db, path, "a.social")
    assert rows(db, "SELECT count(*) FROM rejected_records") == [(3,)]


def test_bom_and_windows_line_ends_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "win.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"".join(json.dumps(sample(i)).encode() + b"\r\n" for i in (1, 2)))
    result = import_file(tmp_path / "t.duckdb", path, "a.social")
    assert (result.new, result.rejected) == (2, [])
    assert rows(tmp_path / "t.duckdb", "SELECT count(*) FROM raw_records WHERE payload LIKE '%\r'") == [(0,)]


def test_a_file_holding_one_json_array_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([sample(1), sample(2)], indent=2), encoding="utf-8")
    assert detect_format(path) == "array"
    result = import_file(tmp_path / "t.duckdb", path, "a.social")
    assert (result.new, result.rejected) == (2, [])


def test_lines_holding_api_pages_are_unpacked(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    path.write_text(json.dumps([sample(1), sample(2)]) + "\n" + json.dumps([sample(3)]) + "\n", encoding="utf-8")
    assert detect_format(path) == "jsonl"
    result = import_file(tmp_path / "t.duckdb", path, "a.social")
    assert result.new == 3
    assert rows(tmp_path / "t.duckdb", "SELECT line, count(*) FROM raw_records GROUP BY line ORDER BY line") == [
        (1, 2), (2, 1)]


def test_streaming_events_become_statuses_and_deletes(tmp_path: Path) -> None:
    edited = sample(1, edited_at="2026-03-06T02:00:00.000Z")
    path = tmp_path / "events.jsonl"
    path.write_text(
        "\n".join([
            json.dumps({"event": "update", "payload": json.dumps(sample(1))}),  # as Mastodon sends it: a string
            json.dumps({"event": "status.update", "payload": edited}),
            json.dumps({"event": "delete", "payload": "101"}),
            json.dumps({"event": "notification", "payload": {}}),
        ]) + "\n",
        encoding="utf-8",
    )
    db = tmp_path / "t.duckdb"
    result = import_file(db, path, "a.social")
    assert result.rejected == [(4, 'unsupported streaming event "notification"')]
    got = rows(db, "SELECT kind, payload FROM raw_records ORDER BY raw_id")
    assert got[0] == ("status", json.dumps(sample(1)))
    assert got[1][0] == "status" and json.loads(got[1][1])["edited_at"] == "2026-03-06T02:00:00.000Z"
    assert got[2] == ("delete", '"101"')


def test_a_status_repeated_within_one_file_is_stored_once_from_its_first_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [sample(1), sample(2), sample(1)])
    db = tmp_path / "t.duckdb"
    archive = Archive(db)
    [(_, result)] = archive.store_mastodon_blocks(read_blocks(path), instance="a.social", file=str(path),
                                                  fetched_at=NOW)  # one block: the repeat is inside one batch
    assert (result.new, result.duplicates) == (2, 1)
    assert rows(db, "SELECT line FROM raw_records ORDER BY raw_id") == [(1,), (2,)]
