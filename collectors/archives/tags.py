"""Read a TAGS archive sheet saved as CSV (Martin Hawksey's Twitter Archiving Google Sheet) into raw records.

One record per row (source 'tags', kind 'tags_row'); the payload is a JSON object of the row's cells, as text,
keyed by the header. Ids stay text. Spreadsheets round 19-digit numbers to 15 significant digits (1.18E+18, or
trailing zeros), so:
- `id_str` is replaced by the exact id from `status_url` when the two disagree or id_str is not a plain number;
- another id cell that is not a plain number (e.g. from_user_id_str '1.25195E+18') cannot be recovered and
  becomes null;
- every changed cell keeps its original text under `as_read`.
`NA` (R's missing value, as tidytags writes it) and empty cells become null, except in `text`, where they may
be what someone wrote. `created_at_utc` is the tweet time read from `created_at` (or, failing that, `time`), in
ISO 8601 UTC. A row without a usable id or time, or with the wrong number of cells, is a LineError naming the
line where the row starts; the rest goes on.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from collectors.archives.problems import LineError, UnknownFormat
from collectors.records import RawRecord

SOURCE = "tags"
KIND = "tags_row"
REQUIRED = ("id_str", "from_user", "text", "created_at")
ID_COLUMNS = ("from_user_id_str", "in_reply_to_status_id_str", "in_reply_to_user_id_str")
_STATUS_URL = re.compile(r"/status(?:es)?/(\d{1,20})")
_TIME_FORMATS = ("%a %b %d %H:%M:%S %z %Y", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S")


def is_tags_header(cells: list[str]) -> bool:
    names = {c.strip().lstrip("\ufeff") for c in cells}
    return set(REQUIRED) <= names


def exact_tweet_id(id_str: str | None, status_url: str | None) -> str:
    """The tweet's exact id from the id_str and status_url cells; ValueError when neither has it."""
    given = (id_str or "").strip()
    match = _STATUS_URL.search(status_url or "")
    from_url = match.group(1) if match else None
    if from_url:
        return from_url
    if given.isdigit():
        return given
    if given:
        raise ValueError(
            f"id_str {given!r} is not an exact tweet id (rounded by a spreadsheet?) and there is no status_url"
        )
    raise ValueError("no id_str and no status_url")


def parse_tweet_time(created_at: str | None, time_cell: str | None) -> datetime:
    for value in (created_at, time_cell):
        value = (value or "").strip()
        if not value:
            continue
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
        except ValueError:
            pass
        for fmt in _TIME_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
            except ValueError:
                continue
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    raise ValueError(f"created_at {created_at!r} is not a date")


def _cell(name: str, value: str) -> str | None:
    if name == "text":
        return value
    return None if value.strip() in ("", "NA") else value


def row_payload(header: list[str], row: list[str]) -> str:
    """The JSON payload for one row (see the module doc); ValueError says why a row is unusable."""
    cells = {name: _cell(name, value) for name, value in zip(header, row, strict=True)}
    as_read: dict[str, str | None] = {}
    exact = exact_tweet_id(cells.get("id_str"), cells.get("status_url"))
    if exact != cells.get("id_str"):
        as_read["id_str"] = cells.get("id_str")
        cells["id_str"] = exact
    for name in ID_COLUMNS:
        value = cells.get(name)
        if value is not None and not value.strip().isdigit():
            as_read[name] = value
            cells[name] = None
    created = parse_tweet_time(cells.get("created_at"), cells.get("time"))
    payload: dict[str, object] = dict(cells)
    payload["created_at_utc"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    if as_read:
        payload["as_read"] = as_read
    return json.dumps(payload, ensure_ascii=False)


def read_tags(path: Path, *, origin: str, fetched_at: datetime) -> Iterator[RawRecord | LineError]:
    """Raw records (and errors) for every row of a TAGS CSV."""
    # surrogateescape keeps a stray non-UTF-8 byte from failing the whole file; its row is rejected below.
    text = path.read_bytes().decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise UnknownFormat(f"{origin}: empty file, not a TAGS archive sheet") from None
    if not is_tags_header(header):
        missing = ", ".join(c for c in REQUIRED if c not in header)
        raise UnknownFormat(f"{origin}: not a TAGS archive sheet (no {missing} column)")
    end = reader.line_num
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            end = reader.line_num
            yield LineError(origin, start, f"malformed CSV ({e})")
            continue
        end = reader.line_num
        if not any(c.strip() for c in row):
            continue
        raw = ",".join(row)
        if any("\udc80" <= ch <= "\udcff" for ch in raw):
            yield LineError(
                origin,
                start,
                "not UTF-8 text",
                raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
            )
            continue
        if len(row) != len(header):
            yield LineError(origin, start, f"{len(row)} cells where the header has {len(header)}", raw)
            continue
        try:
            payload = row_payload(header, row)
        except ValueError as e:
            yield LineError(origin, start, str(e), raw)
            continue
        yield RawRecord(SOURCE, KIND, origin, payload, fetched_at=fetched_at, line=start)
