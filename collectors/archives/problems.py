"""What an importer says about input it cannot use: a bad line (counted, kept aside, the rest goes on) or a
file it does not recognize at all."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LineError:
    """One line (or element) of a file that could not be imported, and why; `text` is kept for inspection."""

    file: str
    line: int | None
    reason: str
    text: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.reason}"


class UnknownFormat(ValueError):
    """The file is none of the formats an importer reads; the message names the file, on one line."""
