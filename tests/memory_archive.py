"""An in-memory Sink and CheckpointStore for collector tests that need no database.

It keeps every write as it came (records and checkpoints together), and merges checkpoints field by field the way
the warehouse does (a field left None keeps its stored value), so tests can check what a crash would leave.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from collectors.records import CaptureEvent, Checkpoint, RawRecord


@dataclass
class MemoryArchive:
    writes: list[tuple[list[RawRecord], list[Checkpoint]]] = field(default_factory=list)
    events: list[CaptureEvent] = field(default_factory=list)
    checkpoints: dict[tuple[str, str, str], Checkpoint] = field(default_factory=dict)
    _payloads: set[tuple[str, str, str]] = field(default_factory=set)

    @property
    def records(self) -> list[RawRecord]:
        return [r for records, _ in self.writes for r in records]

    def write(self, records: Sequence[RawRecord], checkpoints: Sequence[Checkpoint] = ()) -> int:
        self.writes.append((list(records), list(checkpoints)))
        new = 0
        for r in records:
            key = (r.source, r.origin, r.payload)
            if key not in self._payloads:
                self._payloads.add(key)
                new += 1
        for cp in checkpoints:
            k = (cp.source, cp.origin, cp.key)
            old = self.checkpoints.get(k)
            if old is None:
                self.checkpoints[k] = cp
            else:
                self.checkpoints[k] = replace(
                    old,
                    newest_id=cp.newest_id or old.newest_id,
                    oldest_id=cp.oldest_id or old.oldest_id,
                    newest_at=cp.newest_at or old.newest_at,
                )
        return new

    def log(self, event: CaptureEvent) -> None:
        self.events.append(event)

    def checkpoint(self, source: str, origin: str, key: str) -> Checkpoint | None:
        return self.checkpoints.get((source, origin, key))
