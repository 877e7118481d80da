"""Gap-based sessions for chats without a schedule, the participant roles, and authors who opted out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from factories import build_with, config_file, rows, status, write_jsonl
from test_import_mastodon import import_file

UNSCHEDULED = """
[[chats]]
name = "edchat"
hashtags = ["edchat"]
gap = "30m"
"""


def post(n: int, user: str, at: datetime, **kw: object) -> dict:
    return status(n=n, user=user, home="a.social", serving="a.social", local_id=str(5000 + n),
                  account_id=str(sum(map(ord, user))), created_at=at.isoformat().replace("+00:00", "Z"),
                  html=f"<p>#edchat post {n}</p>", tags=("edchat",), **kw)


def test_a_silence_longer_than_the_gap_starts_a_new_session(tmp_path: Path) -> None:
    t0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    items = [post(1, "ann", t0), post(2, "bob", t0 + timedelta(minutes=20)),
             post(3, "ann", t0 + timedelta(minutes=49)), post(4, "bob", t0 + timedelta(minutes=80))]
    db = tmp_path / "t.duckdb"
    import_file(db, write_jsonl(tmp_path / "a.jsonl", items), "a.social")
    build_with(db, config_file(tmp_path, UNSCHEDULED))
    got = rows(db, "SELECT session_id, start_at, end_at FROM sessions ORDER BY start_at")
    assert got == [
        ("edchat-2026-05-01T1000Z", t0, t0 + timedelta(minutes=49)),
        ("edchat-2026-05-01T1120Z", t0 + timedelta(minutes=80), t0 + timedelta(minutes=80)),
    ]
    assert rows(db, "SELECT count(*) FROM chat_posts WHERE session_id IS NULL") == [(0,)]


def test_roles_follow_the_rules_in_the_readme(tmp_path: Path) -> None:
    # eight weekly sessions; the host asks; core comes to all, regular to 3 of 8, occasional to 2 of 8
    items, n = [], 0
    attendance = {"host": range(8), "core": range(8), "regular": (0, 3, 6), "occasional": (1, 7), "once": (4,)}
    for week in range(8):
        start = datetime(2026, 1, 5, 18, 0, tzinfo=UTC) + timedelta(weeks=week)
        for i, (user, weeks) in enumerate(attendance.items()):
            if week in weeks:
                n += 1
                text = f"<p>Q1: question {week} #edchat</p>" if user == "host" else f"<p>hello #edchat {n}</p>"
                item = post(n, user, start + timedelta(minutes=i))
                item["content"] = text
                items.append(item)
    db = tmp_path / "t.duckdb"
    import_file(db, write_jsonl(tmp_path / "a.jsonl", items), "a.social")
    build_with(db, config_file(tmp_path, UNSCHEDULED))
    got = dict(rows(db, "SELECT author_id, role FROM participants"))
    assert got == {"host@a.social": "host", "core@a.social": "core", "regular@a.social": "regular",
                   "occasional@a.social": "occasional", "once@a.social": "one-time"}
    # without configured hosts, the host is whoever asked the most questions
    assert rows(db, "SELECT hosts FROM chats") == [(["host@a.social"],)]


def test_authors_who_opted_out_are_left_out_unless_the_config_says_otherwise(tmp_path: Path) -> None:
    t0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    items = [
        post(1, "ann", t0),
        post(2, "shy", t0 + timedelta(minutes=1), account_extra={"noindex": True}),
        post(3, "nobot", t0 + timedelta(minutes=2), account_extra={"note": "<p>Teacher. #NoBot please</p>"}),
        post(4, "hidden", t0 + timedelta(minutes=3), account_extra={"discoverable": False}),
        post(5, "private", t0 + timedelta(minutes=4), visibility="private"),
    ]
    db = tmp_path / "t.duckdb"
    import_file(db, write_jsonl(tmp_path / "a.jsonl", items), "a.social")
    build_with(db, config_file(tmp_path, UNSCHEDULED))
    assert rows(db, "SELECT author_id FROM participants") == [("ann@a.social",)]
    assert rows(db, "SELECT author_id FROM authors WHERE opted_out ORDER BY 1") == [
        ("hidden@a.social",), ("nobot@a.social",), ("shy@a.social",)]
    build_with(db, config_file(tmp_path, "respect_opt_out = false\n" + UNSCHEDULED))
    assert rows(db, "SELECT count(*) FROM participants") == [(4,)]  # the private post stays out regardless
