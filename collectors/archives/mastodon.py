"""Read files of Mastodon statuses as people save them, in large blocks of numbered lines, without parsing them.

Accepted shapes (detected from the content, not the name):
- JSON Lines: one Status entity per line, as the API returned it; a line may also be a whole API page (an array
  of statuses) or a streaming event (`{"event": "update"|"status.update"|"delete", "payload": …}`);
- one JSON array holding every status (a pretty-printed export).
This reader only cuts the file into blocks of whole lines, as Arrow arrays that point into the bytes read (NumPy
finds the line ends; no Python object per line), numbers them and drops blank ones. Parsing, validating and
classifying the lines is vectorized in the warehouse (see warehouse/archive.py): per-line work in Python would cost
more than everything else an import does.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

BATCH_BYTES = 64 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_NEWLINE = ord("\n")


@dataclass(frozen=True)
class LineBlock:
    """Whole lines of one file: `lines` is an Arrow table (line: int64 numbered from 1 as an editor shows them,
    text: string without its line end or Windows carriage return), blank lines left out; the block reaches
    `bytes_read` into the file."""

    lines: pa.Table
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


def read_blocks(path: Path, batch_bytes: int = BATCH_BYTES) -> Iterator[LineBlock]:
    """Yield a JSON Lines file as blocks of numbered lines of about `batch_bytes` each. The next block is read
    while the caller stores this one (NumPy, Arrow and file reads let go of the GIL)."""
    ahead: queue.Queue[LineBlock | BaseException | None] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand_over(item: LineBlock | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for block in _blocks(path, batch_bytes):
                if not hand_over(block):
                    return
            hand_over(None)
        except BaseException as e:  # handed to the reader, raised there
            hand_over(e)

    reader = threading.Thread(target=produce, name=f"read {path.name}", daemon=True)
    reader.start()
    try:
        while (item := ahead.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


def _blocks(path: Path, batch_bytes: int) -> Iterator[LineBlock]:
    number = 1
    pending = b""
    with path.open("rb") as f:
        if f.read(len(_BOM)) != _BOM:
            f.seek(0)
        while True:
            buf = bytearray(len(pending) + batch_bytes)
            buf[: len(pending)] = pending
            size = len(pending) + f.readinto(memoryview(buf)[len(pending) :])
            at_end = size == len(pending)
            cut = size if at_end else buf.rfind(b"\n", 0, size) + 1
            if not cut and not at_end:  # a line longer than a block: read on
                pending = bytes(buf[:size])
                continue
            if cut:
                pending = bytes(buf[cut:size])
                chunk = memoryview(buf)[:cut]
                lines, count = numbered_lines(chunk, number)
                number += count
                yield LineBlock(lines, f.tell() - len(pending))
            if at_end:
                return


def numbered_lines(chunk: bytes | memoryview, first_line: int) -> tuple[pa.Table, int]:
    """The lines of `chunk` (whole lines; the last may lack its newline) as (line, text), blank lines left out, and
    how many lines it held. Bytes that are not UTF-8 become U+FFFD, as a text editor shows them."""
    ends = np.flatnonzero(np.frombuffer(chunk, np.uint8) == _NEWLINE)
    size = len(chunk)
    if size and (not len(ends) or ends[-1] != size - 1):
        ends = np.append(ends, size)
    offsets = np.empty(len(ends) + 1, np.int64)
    offsets[0] = 0
    offsets[1:] = ends + 1
    offsets[-1] = min(offsets[-1], size)
    text = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(chunk))
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return numbered_lines(bytes(chunk).decode("utf-8", "replace").encode("utf-8"), first_line)
    # the line end, and the carriage returns before it; this copy comes from malloc, which gives blocks this large
    # back to the system when freed (Arrow's default pool keeps them)
    text = pc.utf8_rtrim(text, characters="\r\n", memory_pool=pa.system_memory_pool())
    line = pa.array(np.arange(first_line, first_line + len(ends), dtype=np.int64))
    blank = pc.or_(pc.equal(pc.binary_length(text), 0), pc.ascii_is_space(text))
    if pc.any(blank).as_py():
        keep = pc.invert(blank)
        line, text = line.filter(keep), text.filter(keep)
    return pa.table({"line": line, "text": text}), len(ends)
