"""The configuration file (TOML): chats, their hashtags, schedules and hosts, and a few archive-wide settings.

One loader for the whole program. Errors name the file and the field, on one line (ConfigError).
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DURATION = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$", re.IGNORECASE)


class ConfigError(ValueError):
    """A configuration problem, phrased for the user on one line."""


def parse_duration(value: Any) -> timedelta:
    """'60m', '1h', '1h30m', '90' (minutes) or a number of minutes."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(minutes=value)
    if isinstance(value, str):
        if value.strip().isdigit():
            return timedelta(minutes=int(value))
        m = _DURATION.match(value)
        if m and (m.group(1) or m.group(2)):
            return timedelta(hours=int(m.group(1) or 0), minutes=int(m.group(2) or 0))
    raise ValueError(f"{value!r} is not a duration like '60m', '1h' or '1h30m'")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def normalize_hashtag(tag: str) -> str:
    return tag.strip().lstrip("#").lower()


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekday: str
    start: time
    duration: Duration = timedelta(minutes=60)
    timezone: str

    @field_validator("weekday", mode="before")
    @classmethod
    def _weekday(cls, v: Any) -> str:
        day = str(v).strip().lower()
        for name in WEEKDAYS:
            if len(day) >= 3 and name.startswith(day):
                return name
        raise ValueError(f"{v!r} is not a weekday (monday … sunday)")

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, v: Any) -> Any:
        if isinstance(v, str) and not re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", v.strip()):
            raise ValueError(f"{v!r} is not a time like '20:00'")
        return v

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{v!r} is not an IANA time zone such as 'America/New_York'") from None
        return v

    @property
    def isodow(self) -> int:
        return WEEKDAYS.index(self.weekday) + 1


class Chat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    hashtags: list[str] = Field(min_length=1)
    schedule: Schedule | None = None
    lead_in: Duration = timedelta(minutes=15)
    wrap_up: Duration = timedelta(minutes=30)
    gap: Duration = timedelta(minutes=30)
    hosts: list[str] = Field(default_factory=list)
    instances: list[str] = Field(default_factory=list)

    @field_validator("hashtags")
    @classmethod
    def _hashtags(cls, v: list[str]) -> list[str]:
        tags = [normalize_hashtag(t) for t in v]
        if any(not t for t in tags):
            raise ValueError("a hashtag is empty")
        return list(dict.fromkeys(tags))

    @field_validator("instances")
    @classmethod
    def _instances(cls, v: list[str]) -> list[str]:
        from collectors.mastodon_instances import parse_instance

        for value in v:
            parse_instance(value)  # a ValueError names the bad entry
        return v

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, v: list[str]) -> list[str]:
        return [h.strip().lstrip("@") for h in v]


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chats: list[Chat] = Field(default_factory=list)
    respect_opt_out: bool = True
    pseudonym_key: str | None = Field(default=None, repr=False)
    mastodon_tokens: dict[str, str] = Field(default_factory=dict, repr=False)
    twitter_bearer_token: str | None = Field(default=None, repr=False)

    @field_validator("chats")
    @classmethod
    def _unique_names(cls, v: list[Chat]) -> list[Chat]:
        names = [c.name.lower() for c in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"chat name {dupes[0]!r} is used twice")
        return v

    def chat(self, name: str) -> Chat:
        for c in self.chats:
            if c.name.lower() == name.lower():
                return c
        known = ", ".join(c.name for c in self.chats) or "none configured"
        raise ConfigError(f"no chat named {name!r} (chats: {known})")

    def pseudonymization_key(self) -> str | None:
        return os.environ.get("TAGTRAIL_PSEUDONYM_KEY") or self.pseudonym_key


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_config(path: Path | str, *, required: bool = False) -> Config:
    """Read and validate the TOML file; a missing optional file gives an empty configuration."""
    path = Path(path)
    if not path.exists():
        if required:
            raise ConfigError(f"{path}: configuration file not found")
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from None
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = _field_path(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown setting"
        more = f" (and {len(e.errors()) - 1} more)" if len(e.errors()) > 1 else ""
        raise ConfigError(f"{path}: {where}: {msg}{more}") from None
