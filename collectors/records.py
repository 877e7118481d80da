"""The contract between collectors and the warehouse: raw records, checkpoints, and the sink they go to.

A collector never opens the database. It yields RawRecords (payloads exactly as received, with provenance) and
hands them, together with the checkpoints they advance, to a Sink that stores both in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RawRecord:
    """One payload exactly as a source gave it.

    source: which collector or importer ('mastodon', 'twitter', 'twarc', 'tags', 'twitter-archive').
    kind:   what the payload is, per source. Mastodon: 'status' (a Status entity, also an edited one) and
            'delete' (the payload is the JSON string of the instance-local status id).
    origin: the instance host that served it (e.g. 'mastodon.social') or the file it was read from.
    payload: the JSON text, verbatim.
    query:  what was asked for, e.g. 'tag:ctqcollab' or 'context:109…'.
    is_context: fetched as thread context (may lack the chat's hashtag).
    file:   the file it was read from, for importers whose origin is an instance (Mastodon exports).
    line:   line number in that file (or origin file), for importers.
    """

    source: str
    kind: str
    origin: str
    payload: str
    fetched_at: datetime = field(default_factory=utcnow)
    query: str | None = None
    is_context: bool = False
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Checkpoint:
    """How far a collector got for one (source, origin, key); key is usually a hashtag."""

    source: str
    origin: str
    key: str
    newest_id: str | None = None
    oldest_id: str | None = None
    newest_at: datetime | None = None


@dataclass(frozen=True)
class CaptureEvent:
    """A line of the capture log that `tagtrail status` reads: a success or an error for one origin."""

    source: str
    origin: str
    key: str
    posts: int = 0
    error: str | None = None
    at: datetime = field(default_factory=utcnow)


class Sink(Protocol):
    def write(self, records: Sequence[RawRecord], checkpoints: Sequence[Checkpoint] = ()) -> int:
        """Store records and checkpoints atomically; return how many records were new."""
        ...

    def log(self, event: CaptureEvent) -> None:
        """Record a success or failure for `tagtrail status`. Never carries secrets."""
        ...


class CheckpointStore(Protocol):
    def checkpoint(self, source: str, origin: str, key: str) -> Checkpoint | None: ...
