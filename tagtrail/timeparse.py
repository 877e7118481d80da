"""The one time parser for user input: dates and date-times, UTC unless they name an offset."""

from __future__ import annotations

from datetime import UTC, datetime


class TimeParseError(ValueError):
    pass


def parse_when(value: str) -> datetime:
    """'2026-01-01', '2026-01-01T20:00', '2026-01-01 20:00:00+02:00', '…Z' -> an aware UTC datetime."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise TimeParseError(f"{value!r} is not a date or date-time like 2026-01-31 or 2026-01-31T20:00") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
