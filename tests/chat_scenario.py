"""A small #CTQCollab community across a daylight-saving change, served by two instances, with known answers.

Session 1 is Thursday 2026-03-05 20:00 EST (01:00Z), session 2 is 2026-03-12 20:00 EDT (00:00Z), session 3 is
2026-03-19. The host asks questions; ann, bob, cat and dan answer and reply. Each logical post has one uri but a
different local id on each instance that serves it, and replies point at the serving instance's local ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factories import status

HOMES = {"host": "a.social", "ann": "a.social", "bob": "b.social", "cat": "b.social", "dan": "c.social"}
INSTANCE_PREFIX = {"a.social": "1000", "b.social": "2000"}


@dataclass(frozen=True)
class Post:
    n: int
    user: str
    at: str
    text: str
    reply_to: int | None = None
    tags: tuple[str, ...] = ("CTQCollab",)
    mentions: tuple[str, ...] = ()
    edited: tuple[str, str] | None = None  # (edited_at, new text)


POSTS = [
    Post(1, "host", "2026-03-06T01:00:00.000Z", "Q1: What are you reading? #CTQCollab"),
    Post(2, "ann", "2026-03-06T01:05:00.000Z", "A1 A novel about teachers #CTQCollab", reply_to=1),
    Post(3, "bob", "2026-03-06T01:07:00.000Z", "@ann same here!", reply_to=2, tags=(), mentions=("ann",)),
    Post(4, "host", "2026-03-06T01:20:00.000Z", "Q2) Favourite classroom tool? #CTQCollab"),
    Post(5, "bob", "2026-03-06T01:25:00.000Z", "@host A2: notebooks #CTQCollab", mentions=("host",)),
    Post(6, "cat", "2026-03-06T00:50:00.000Z", "Lurking early tonight #CTQCollab"),
    Post(7, "host", "2026-03-13T00:05:00.000Z", "q1. Goals for spring? #ctqcollab"),
    Post(8, "ann", "2026-03-13T00:10:00.000Z", "A1 more sleep #CTQCollab", reply_to=7,
         edited=("2026-03-13T00:20:00.000Z", "A1 more sleep, and reading #CTQCollab")),
    Post(9, "dan", "2026-03-13T00:20:00.000Z", "Hi all, first time here! #CTQCollab"),
    Post(10, "bob", "2026-03-13T00:30:00.000Z", "Q1: (bob is not the host) #CTQCollab"),
    Post(11, "ann", "2026-03-15T12:00:00.000Z", "See you next week #CTQCollab"),
    Post(12, "ann", "2026-03-06T01:10:00.000Z", "Unrelated lunch post", tags=()),
    Post(13, "host", "2026-03-20T00:00:00.000Z", "Q1 - Last one: what did you learn? #CTQCollab"),
    Post(14, "cat", "2026-03-20T00:05:00.000Z", "A1 that I like this chat #CTQCollab"),
    Post(15, "cat", "2026-03-20T00:06:00.000Z", "oops wrong chat #CTQCollab"),
]
DELETED = {15}
# what each instance's hashtag timeline and context served
SERVED = {
    "a.social": [p.n for p in POSTS],
    "b.social": [1, 2, 3, 5, 6, 8, 14, 15],
}
EDIT_SEEN_ON = "b.social"  # the edited version of post 8 was only seen on b.social


def local_id(instance: str, n: int) -> str:
    return f"{INSTANCE_PREFIX[instance]}{n:04d}"


def account_local_id(instance: str, user: str) -> str:
    return f"{INSTANCE_PREFIX[instance]}9{sorted(HOMES).index(user)}"


def render(post: Post, instance: str, *, edited: bool = False) -> dict[str, Any]:
    by_n = {p.n: p for p in POSTS}
    parent = by_n.get(post.reply_to) if post.reply_to else None
    text = post.edited[1] if edited and post.edited else post.text
    mentions = [
        {"id": account_local_id(instance, m), "username": m,
         "acct": m if HOMES[m] == instance else f"{m}@{HOMES[m]}", "url": f"https://{HOMES[m]}/@{m}"}
        for m in post.mentions
    ]
    return status(
        n=post.n, user=post.user, home=HOMES[post.user], serving=instance, local_id=local_id(instance, post.n),
        created_at=post.at, html=f"<p>{text}</p>", account_id=account_local_id(instance, post.user),
        tags=tuple(t.lower() for t in post.tags),
        in_reply_to_id=local_id(instance, parent.n) if parent else None,
        in_reply_to_account_id=account_local_id(instance, parent.user) if parent else None,
        edited_at=post.edited[0] if edited and post.edited else None,
        mentions=mentions,
    )


@dataclass
class ScenarioFiles:
    files: dict[str, Path] = field(default_factory=dict)


def write_instance_file(directory: Path, instance: str) -> Path:
    lines = []
    for n in SERVED[instance]:
        post = next(p for p in POSTS if p.n == n)
        lines.append(render(post, instance))
        if post.edited and instance == EDIT_SEEN_ON:
            lines.append({"event": "status.update", "payload": render(post, instance, edited=True)})
    for n in sorted(DELETED):
        if n in SERVED[instance]:
            lines.append({"event": "delete", "payload": local_id(instance, n)})
    path = directory / f"{instance}.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def uri(n: int) -> str:
    post = next(p for p in POSTS if p.n == n)
    return f"https://{HOMES[post.user]}/users/{post.user}/statuses/{n}"
