"""Hand-made Mastodon statuses and archives for tests: small cases with answers known in advance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tagtrail.config import Config, load_config
from warehouse.build import build
from warehouse.db import reading


def account(user: str, home: str, *, local_id: str, serving: str, **extra: Any) -> dict[str, Any]:
    """An account as `serving` sees it: acct is bare on its home instance, user@home elsewhere."""
    return {
        "id": local_id,
        "username": user,
        "acct": user if serving == home else f"{user}@{home}",
        "display_name": user.title(),
        "url": f"https://{home}/@{user}",
        "created_at": "2020-01-01T00:00:00.000Z",
        "note": extra.pop("note", "<p>I teach.</p>"),
        "bot": False,
        "discoverable": extra.pop("discoverable", True),
        "noindex": extra.pop("noindex", False),
        **extra,
    }


def status(
    *,
    n: int,
    user: str,
    home: str,
    serving: str,
    local_id: str,
    created_at: str,
    html: str,
    account_id: str = "1",
    tags: tuple[str, ...] = ("ctqcollab",),
    in_reply_to_id: str | None = None,
    in_reply_to_account_id: str | None = None,
    edited_at: str | None = None,
    visibility: str = "public",
    mentions: list[dict[str, str]] | None = None,
    reblog: dict[str, Any] | None = None,
    account_extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Status entity as `serving` returns it; `n` numbers the post on its home instance (its uri)."""
    return {
        "id": local_id,
        "created_at": created_at,
        "in_reply_to_id": in_reply_to_id,
        "in_reply_to_account_id": in_reply_to_account_id,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": visibility,
        "language": "en",
        "uri": f"https://{home}/users/{user}/statuses/{n}",
        "url": f"https://{home}/@{user}/{n}",
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "edited_at": edited_at,
        "content": html,
        "reblog": reblog,
        "account": account(user, home, local_id=account_id, serving=serving, **(account_extra or {})),
        "media_attachments": [],
        "mentions": mentions or [],
        "tags": [{"name": t, "url": f"https://{serving}/tags/{t}"} for t in tags],
        "emojis": [],
        "card": None,
        "poll": None,
    }


def write_jsonl(path: Path, items: list[Any]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


CTQ_CONFIG = """
[[chats]]
name = "CTQCollab"
hashtags = ["#CTQCollab"]
schedule = { weekday = "thursday", start = "20:00", duration = "60m", timezone = "America/New_York" }
hosts = ["host@a.social"]
"""


def config_file(tmp_path: Path, text: str = CTQ_CONFIG) -> Path:
    path = tmp_path / "tagtrail.toml"
    path.write_text(text, encoding="utf-8")
    return path


def build_with(db: Path, config: Config | Path | str, *, full: bool = False) -> None:
    cfg = config if isinstance(config, Config) else load_config(Path(config), required=True)
    build(db, cfg, full=full)


def rows(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with reading(db) as con:
        return con.execute(sql, params or []).fetchall()
