"""Archives for the dashboard tests: the hand-made scenario plus a newcomer's post that tries to run a script."""

from __future__ import annotations

import html
from pathlib import Path

from chat_scenario import write_instance_file
from factories import build_with, config_file, status, write_jsonl
from test_import_mastodon import import_file

# What a newcomer typed; Mastodon serves it HTML-escaped, so the post's text holds a literal <script> tag.
HOSTILE_TEXT = '<script>window.__tagtrail_pwned = 1; alert("pwned")</script> A1 hello #CTQCollab'
HOSTILE_HTML = (f'<p>{html.escape(HOSTILE_TEXT)} <a href="javascript:window.__tagtrail_pwned = 2">'
                "javascript:window.__tagtrail_pwned=2</a></p>")
HOSTILE_AUTHOR = "eve@c.social"


def hostile_post(directory: Path, *, created_at: str = "2026-03-20T00:10:00.000Z", n: int = 66) -> Path:
    """A JSON Lines file from c.social with eve's post, to import with `--instance c.social`."""
    post = status(n=n, user="eve", home="c.social", serving="c.social", local_id=f"3000{n}",
                  created_at=created_at, html=HOSTILE_HTML, account_id="30009")
    return write_jsonl(directory / f"hostile-{n}.jsonl", [post])


def scenario_archive(directory: Path) -> Path:
    """The two-instance scenario with eve's post in its last session, built."""
    db = directory / "scenario.duckdb"
    for instance in ("a.social", "b.social"):
        import_file(db, write_instance_file(directory, instance), instance)
    import_file(db, hostile_post(directory), "c.social")
    build_with(db, config_file(directory))
    return db


def unbuilt_archive(directory: Path) -> Path:
    """Raw records only: imported, never built."""
    db = directory / "unbuilt.duckdb"
    import_file(db, write_instance_file(directory, "a.social"), "a.social")
    return db


def archive_without_chats(directory: Path) -> Path:
    """Imported and built, but with a configuration that names no chat: posts, no sessions."""
    db = directory / "no-chats.duckdb"
    import_file(db, write_instance_file(directory, "a.social"), "a.social")
    build_with(db, config_file(directory, text=""))
    return db
