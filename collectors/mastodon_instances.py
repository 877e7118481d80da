"""Mastodon instances as a user names them (a bare host means https; a base URL is taken as is) and where their
access tokens come from. Kept apart from collectors.mastodon so that reading the config does not load Mastodon.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

TOKEN_ENV_PREFIX = "TAGTRAIL_MASTODON_TOKEN_"


@dataclass(frozen=True)
class Instance:
    host: str  # what records carry as origin: 'mastodon.social', '127.0.0.1:3000'
    base_url: str
    token: str | None = field(default=None, repr=False)


def parse_instance(value: str) -> tuple[str, str]:
    """(host, base URL) of an instance given as a bare host (https) or a full base URL (taken as is)."""
    text = value.strip().rstrip("/")
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"{value!r} is not an instance base URL such as https://mastodon.social")
        return parts.netloc.lower(), text
    if not text or "/" in text or not re.fullmatch(r"[\w.\-\[\]:]+", text):
        raise ValueError(f"{value!r} is not an instance host such as mastodon.social")
    return text.lower(), f"https://{text.lower()}"


def token_env_name(host: str) -> str:
    """TAGTRAIL_MASTODON_TOKEN_<HOST>: the host upper-cased, every character not a letter or digit as '_'."""
    return TOKEN_ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", host.upper())
