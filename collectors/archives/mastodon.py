"""Read files of Mastodon statuses as people save them, in large blocks of whole lines, without parsing them.

Accepted shapes (detected from the content, not the name):
- JSON Lines: one Status entity per line, as the API returned it; a line may also be a whole API page (an array
  of statuses) or a streaming event (`{"event": "update"|"status.update"|"delete", "payload": …}`);
- one JSON array holding every status (a pretty-printed export).
Splitting, numbering, validating and classifying lines is vectorized in the warehouse (see warehouse/archive.py),
so this reader only cuts the file into large blocks of whole lines and strips a byte-order mark: per-line work in
Python would cost more than everything else an import does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BATCH_BYTES = 64 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class TextBlock:
    """Whole lines of one file, decoded: `text` starts at line `first_line` and reaches `bytes_read` into the file.

    Blank lines are kept in `text` (they count for the line numbers); the warehouse skips them. `has_cr` says whether
    any line ends in a Windows carriage return, so the warehouse strips those only when there are some.
    """

    text: str
    first_line: int
    bytes_read: int
    has_cr: bool


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


def read_blocks(path: Path, batch_bytes: int = BATCH_BYTES) -> Iterator[TextBlock]:
    """Yield a JSON Lines file as large blocks of whole lines. Python never touches a line on its own: splitting,
    numbering and parsing happen in the warehouse, vectorized."""
    number = 1
    pending = bytearray()
    with path.open("rb") as f:
        block = f.read(batch_bytes).removeprefix(_BOM)
        while block:
            pending += block
            del block
            cut = pending.rfind(b"\n") + 1
            if cut:
                with memoryview(pending) as whole, whole[:cut] as chunk:
                    text = str(chunk, "utf-8", "replace")
                lines = pending.count(b"\n", 0, cut)
                del pending[:cut]
                yield TextBlock(text, number, f.tell() - len(pending), "\r" in text)
                number += lines
            block = f.read(batch_bytes)
    if pending:
        text = str(pending, "utf-8", "replace")
        yield TextBlock(text, number, path.stat().st_size, "\r" in text)
