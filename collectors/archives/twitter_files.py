"""Recognize a file of tweets from its content (not its name) and read it into raw records.

Formats: twarc JSON Lines (twarc2 response pages, twarc2 flattened tweets, twarc 1 / API v1.1 tweets), a TAGS
archive sheet saved as CSV, and the archive X gives an account holder (a zip, or its data/tweets.js). `detect`
says what a file is, in words for the user; `read` yields RawRecords and LineErrors (a bad line is reported and
skipped, the rest goes on). The origin of every record is the file path as given.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from collectors.archives import tags, twarc, twitter_archive
from collectors.archives.problems import LineError, UnknownFormat
from collectors.records import RawRecord, utcnow

__all__ = ["Detected", "LineError", "UnknownFormat", "detect", "read"]


@dataclass(frozen=True)
class Detected:
    """What a file holds. source: the RawRecord source ('twarc', 'tags', 'twitter-archive')."""

    source: str
    format: str
    description: str


def _head(path: Path, size: int = 64 * 1024) -> bytes:
    with path.open("rb") as f:
        return f.read(size)


def detect(path: Path | str) -> Detected:
    """Recognize the file; UnknownFormat (one line, naming the file) when it is none of the formats."""
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise UnknownFormat(f"{name}: no such file")
    head = _head(path)
    if head[:4] == twitter_archive.ZIP_MAGIC:
        contents = twitter_archive.open_archive(path, name)
        holder = (
            f" of @{contents.account['username']}"
            if contents.account and contents.account.get("username")
            else ""
        )
        files = ", ".join(p.name.split(":", 1)[-1] for p in contents.parts)
        note = "" if contents.account else " (no data/account.js: the author is unknown)"
        return Detected(twitter_archive.SOURCE, "x-archive-zip", f"X account archive{holder} ({files}){note}")
    text_head = head.removeprefix(twarc.BOM).lstrip()
    if twitter_archive.is_ytd_script(text_head):
        return Detected(
            twitter_archive.SOURCE,
            "x-archive-js",
            "tweets.js of an X account archive (the author is unknown)",
        )
    if text_head[:1] in (b"{", b"["):
        kind = twarc.sniff(path)
        if kind is None:
            raise UnknownFormat(
                f"{name}: starts like JSON but no line in the first 50 is a tweet or an API page"
            )
        return Detected(twarc.SOURCE, f"twarc-{kind}", f"twarc JSON Lines: {twarc.KIND_NAMES[kind]}")
    first_line = head.removeprefix(twarc.BOM).decode("utf-8", "replace").splitlines()[:1]
    header = next(csv.reader(io.StringIO(first_line[0])), []) if first_line else []
    if tags.is_tags_header(header):
        return Detected(tags.SOURCE, "tags-csv", "TAGS archive sheet (CSV)")
    if len(header) > 1:
        raise UnknownFormat(
            f"{name}: a CSV file but not a TAGS archive sheet (no id_str, from_user, text, created_at)"
        )
    raise UnknownFormat(f"{name}: not twarc JSON Lines, a TAGS CSV or an X account archive")


def read(
    path: Path | str, detected: Detected | None = None, *, fetched_at: datetime | None = None
) -> Iterator[RawRecord | LineError]:
    """Raw records and line errors of one file, in file order."""
    path = Path(path)
    detected = detected or detect(path)
    origin = str(path)
    at = fetched_at or utcnow()
    if detected.source == twarc.SOURCE:
        yield from twarc.read_twarc(path, origin=origin, fetched_at=at)
    elif detected.source == tags.SOURCE:
        yield from tags.read_tags(path, origin=origin, fetched_at=at)
    else:
        yield from twitter_archive.read_twitter_archive(path, origin=origin, fetched_at=at)
