"""Importing files of Mastodon statuses: verbatim, idempotent, bad lines kept aside with their line numbers."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

from factories import rows, status, write_jsonl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


def _reference_lines(data: bytes) -> list[tuple[int, str]]:
    """What an editor shows: numbered lines, a BOM dropped, line ends and the carriage returns before them
    stripped, blank lines left out, bytes that are not UTF-8 shown as U+FFFD."""
    text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [(n, line.rstrip("\r")) for n, line in enumerate(lines, 1)
            if line.rstrip("\r").strip(" \t\r\x0b\x0c") != "" and line.rstrip("\r") != ""]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    parts=st.lists(st.sampled_from([b"{\"a\": 1}", b"\n", b"\r\n", b"\r", b"  ", b"\t", b"\xff", b"\xc3\xa9",
                                    b"\xe2\x82", b"x" * 40, b"\xef\xbb\xbf"]), max_size=40),
    batch=st.integers(min_value=1, max_value=64),
    bom=st.booleans(),
)
def test_blocks_number_every_line_as_an_editor_does_whatever_the_block_size(
    tmp_path: Path, parts: list[bytes], batch: int, bom: bool
) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + b"".join(parts)
    path = tmp_path / "any.jsonl"
    path.write_bytes(data)
    blocks = list(read_blocks(path, batch_bytes=batch))
    got = [(r["line"], r["text"]) for b in blocks for r in b.lines.to_pylist()]
    # a character cut by a block edge is never split: blocks end at line ends
    assert got == _reference_lines(data)
    assert [b.bytes_read for b in blocks] == sorted(b.bytes_read for b in blocks)
    if blocks:
        assert blocks[-1].bytes_read == len(data)


def test_a_reader_left_early_stops_reading(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [sample(n % 9 + 1) for n in range(200)])
    before = {t.name for t in threading.enumerate()}
    blocks = read_blocks(path, batch_bytes=512)
    next(blocks)
    blocks.close()
    assert {t.name for t in threading.enumerate()} - before == set()


def test_a_file_mixing_statuses_events_pages_and_bad_lines_keeps_each_record_once(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        "\n".join([
            json.dumps(sample(1)),                                          # 1 plain
            json.dumps({"event": "update", "payload": json.dumps(sample(2))}),  # 2 event
            json.dumps(sample(2)),                                          # 3 plain, same payload as line 2
            "   ",                                                          # 4 blank
            json.dumps([sample(3), sample(1)]),                             # 5 a page of two
            "{broken",                                                      # 6 bad
            json.dumps({**sample(4), "account": "ann"}),                    # 7 not a status
            json.dumps(sample(4)),                                          # 8 plain
            json.dumps({"event": "delete", "payload": "104"}),              # 9 delete
            json.dumps(sample(1)),                                          # 10 plain repeat
        ]) + "\n",
        encoding="utf-8",
    )
    db = tmp_path / "t.duckdb"
    result = import_file(db, path, "a.social")
    assert result.rejected == [(6, "not valid JSON"), (7, 'not a Mastodon status: no "account"')]
    assert (result.new, result.duplicates) == (6, 2)
    got = rows(db, "SELECT line, kind, payload FROM raw_records ORDER BY line, payload")
    assert [(line, kind) for line, kind, _ in got] == [
        (1, "status"), (2, "status"), (5, "status"), (5, "status"), (8, "status"), (9, "delete")]
    assert got[1][2] == json.dumps(sample(2))  # the event's payload, which line 3 repeats
    assert {json.loads(p)["uri"] for _, _, p in got[2:4]} == {sample(1)["uri"], sample(3)["uri"]}
    again = import_file(db, path, "a.social")
    assert (again.new, again.duplicates) == (0, 8)


def test_a_long_import_commits_in_turns_and_keeps_the_file_order(tmp_path: Path, monkeypatch) -> None:
    import warehouse.archive as archive_module

    monkeypatch.setattr(archive_module, "ROW_GROUP_ROWS", 7)
    monkeypatch.setattr(archive_module, "HOLD_SECONDS", 0.0)
    statuses = [status(n=n, user="ann", home="a.social", serving="a.social", local_id=str(1000 + n),
                       created_at="2026-03-06T01:00:00.000Z", html=f"<p>post {n}</p>") for n in range(80)]
    path = write_jsonl(tmp_path / "a.jsonl", statuses)
    db = tmp_path / "t.duckdb"
    seen: list[int] = []
    for _, result in Archive(db).store_mastodon_blocks(read_blocks(path, batch_bytes=4096),
                                                         instance="a.social", file=str(path), fetched_at=NOW):
        seen.append(result.new)
        # what was yielded is committed: another connection sees it
        assert rows(db, "SELECT count(*) FROM raw_records") == [(sum(seen),)]
    assert len(seen) > 10 and sum(seen) == 80
    assert rows(db, "SELECT count(*) FROM (SELECT line, lag(line) OVER (ORDER BY raw_id) AS before FROM raw_records) "
                    "WHERE line <= before") == [(0,)]
