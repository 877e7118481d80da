"""Read twarc files (JSON Lines) into raw records, one per line, classifying each line by its content.

- twarc2 raw response pages (`data`, `includes`, `meta`, `__twarc`)          -> kind 'page'
- twarc2 flattened tweets (one v2 tweet per line, with `author`, `__twarc`) -> kind 'tweet_flat'
- twarc 1 / API v1.1 tweets (`id_str`, `user`, `full_text` or `text`)      -> kind 'tweet_v1'
A line holding a v1.1 search response (`statuses`) or an array of tweets (a saved timeline) gives one record per
tweet. Payloads are the lines verbatim (a split-out tweet is its JSON re-serialized). A record's fetched_at is
twarc's own `__twarc.retrieved_at` when the line has it: the counts in it are as seen then, not at import.
A byte-order mark, Windows line ends and blank lines are fine; a line that is not JSON or not a tweet becomes a
LineError and the rest of the file goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collectors.archives.problems import LineError
from collectors.records import RawRecord

SOURCE = "twarc"
BOM = b"\xef\xbb\xbf"

KIND_NAMES = {
    "page": "twarc2 API response pages",
    "tweet_flat": "twarc2 flattened tweets",
    "tweet_v1": "twarc 1 / API v1.1 tweets",
}


def classify(obj: Any) -> str:
    """The kind of one parsed line ('page', 'tweet_flat', 'tweet_v1', or 'statuses'/'array' to split), or
    raise ValueError with the reason it is none of them."""
    if isinstance(obj, list):
        return "array"
    if not isinstance(obj, dict):
        raise ValueError(f"a JSON {type(obj).__name__}, not an object")
    if (
        "data" in obj
        or ("__twarc" in obj and ("errors" in obj or "meta" in obj))
        or {"meta", "includes"} <= obj.keys()
    ):
        if not isinstance(obj.get("data", []), list | dict):
            raise ValueError('an API page whose "data" is neither a list nor an object')
        return "page"
    if "id_str" in obj and "user" in obj:
        if not _is_id(obj["id_str"]):
            raise ValueError(f'"id_str" {obj["id_str"]!r} is not a tweet id')
        return "tweet_v1"
    if (
        "id" in obj
        and "text" in obj
        and ("author" in obj or "author_id" in obj or "edit_history_tweet_ids" in obj)
    ):
        if not _is_id(obj["id"]):
            raise ValueError(f'"id" {obj["id"]!r} is not a tweet id')
        return "tweet_flat"
    if isinstance(obj.get("statuses"), list):
        return "statuses"
    for notice in (
        "delete",
        "limit",
        "scrub_geo",
        "status_withheld",
        "user_withheld",
        "disconnect",
        "warning",
    ):
        if notice in obj:
            raise ValueError(f"a v1.1 stream {notice!r} notice, not a tweet")
    keys = ", ".join(sorted(obj)[:6])
    raise ValueError(f"not a tweet or an API response page (keys: {keys})")


def _is_id(value: Any) -> bool:
    return (
        isinstance(value, str) and value.isdigit() or isinstance(value, int) and not isinstance(value, bool)
    )


def _retrieved_at(obj: Any) -> datetime | None:
    meta = obj.get("__twarc") if isinstance(obj, dict) else None
    value = meta.get("retrieved_at") if isinstance(meta, dict) else None
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def numbered_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, content) of the non-blank lines, without BOM or line end."""
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            if number == 1:
                raw = raw.removeprefix(BOM)
            line = raw.rstrip(b"\r\n")
            if line.strip():
                yield number, line


def read_twarc(path: Path, *, origin: str, fetched_at: datetime) -> Iterator[RawRecord | LineError]:
    """Raw records (and errors) for every line of a twarc JSON Lines file."""
    for number, raw in numbered_lines(path):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield LineError(
                origin, number, f"not UTF-8 text (byte {e.start + 1})", raw.decode("utf-8", "replace")
            )
            continue
        yield from records_of_line(text, origin=origin, line=number, fetched_at=fetched_at)


def records_of_line(
    text: str, *, origin: str, line: int, fetched_at: datetime
) -> Iterator[RawRecord | LineError]:
    try:
        obj = json.loads(text)
    except ValueError as e:
        reason = (
            f"not valid JSON ({e.msg} at column {e.colno})"
            if isinstance(e, json.JSONDecodeError)
            else "not JSON"
        )
        yield LineError(origin, line, reason, text)
        return
    try:
        kind = classify(obj)
    except ValueError as e:
        yield LineError(origin, line, str(e), text)
        return
    if kind in ("page", "tweet_flat", "tweet_v1"):
        yield RawRecord(SOURCE, kind, origin, text, fetched_at=_retrieved_at(obj) or fetched_at, line=line)
        return
    items = obj if kind == "array" else obj["statuses"]
    for position, item in enumerate(items, start=1):
        try:
            item_kind = classify(item)
            if item_kind not in ("tweet_v1", "tweet_flat"):
                raise ValueError(f"a {item_kind} where a tweet was expected")
        except ValueError as e:
            yield LineError(origin, line, f"element {position}: {e}", json.dumps(item, ensure_ascii=False))
            continue
        payload = json.dumps(item, ensure_ascii=False)
        yield RawRecord(
            SOURCE, item_kind, origin, payload, fetched_at=_retrieved_at(item) or fetched_at, line=line
        )


def sniff(path: Path, max_lines: int = 50) -> str | None:
    """The kind of the first line that is a tweet or a page (what the file holds), or None."""
    for n, (_, raw) in enumerate(numbered_lines(path)):
        if n >= max_lines:
            break
        try:
            kind = classify(json.loads(raw.decode("utf-8")))
        except ValueError:
            continue
        if kind == "statuses":
            return "tweet_v1"
        if kind == "array":
            items = json.loads(raw.decode("utf-8"))
            for item in items:
                try:
                    return classify(item)
                except ValueError:
                    continue
            continue
        return kind
    return None
