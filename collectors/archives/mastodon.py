"""Read files of Mastodon statuses as people save them, in batches of numbered lines, without parsing them.

Accepted shapes (detected from the content, not the name):
- JSON Lines: one Status entity per line, as the API returned it; a line may also be a whole API page (an array
  of statuses) or a streaming event (`{"event": "update"|"status.update"|"delete", "payload": …}`);
- one JSON array holding every status (a pretty-printed export).
Validating and classifying each line is vectorized in the warehouse (see warehouse/archive.py), so this reader
only splits lines, strips a byte-order mark and Windows line ends, and numbers them for error messages.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BATCH_BYTES = 64 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class LineBatch:
    """Numbered, non-blank lines of one file, with how far through the file they reach."""

    lines: list[str]
    numbers: list[int]
    bytes_read: int


def detect_format(path: Path) -> str:
    """'jsonl' or 'array' (a single JSON array spread over the whole file)."""
    with path.open("rb") as f:
        head = f.read(1 << 20)
    text = head.removeprefix(_BOM).lstrip()
    if not text.startswith(b"["):
        return "jsonl"
    first_line = text.split(b"\n", 1)[0].strip()
    try:
        json.loads(first_line)
    except ValueError:
        return "array"
    return "jsonl"  # a JSON Lines file whose lines are API pages


def read_lines(path: Path, batch_bytes: int = BATCH_BYTES) -> Iterator[LineBatch]:
    """Yield batches of (line number, text) from a JSON Lines file, reading it in large blocks."""
    number = 0
    rest = b""
    with path.open("rb") as f:
        block = f.read(batch_bytes).removeprefix(_BOM)
        while block:
            data = rest + block
            cut = data.rfind(b"\n")
            rest, chunk = (data, b"") if cut < 0 else (data[cut + 1 :], data[: cut + 1])
            if chunk:
                lines, numbers, number = _number(chunk, number)
                if lines:
                    yield LineBatch(lines, numbers, f.tell() - len(rest))
            block = f.read(batch_bytes)
        if rest:
            lines, numbers, number = _number(rest, number)
            if lines:
                yield LineBatch(lines, numbers, f.tell())


def _number(chunk: bytes, number: int) -> tuple[list[str], list[int], int]:
    raw = chunk.decode("utf-8", errors="replace").split("\n")
    if raw and raw[-1] == "":
        raw.pop()
    lines: list[str] = []
    numbers: list[int] = []
    for i, line in enumerate(raw, start=number + 1):
        line = line.rstrip("\r")
        if line.strip():
            lines.append(line)
            numbers.append(i)
    return lines, numbers, number + len(raw)
