"""A small #CTQCollab chat on X, written out in every format tweets come in, with known answers.

Same schedule as chat_scenario (Thursdays 20:00 America/New_York): session 1 starts 2026-03-06T01:00Z, session 2
2026-03-13T00:00Z. In session 1 the host asks Q1, ann answers, bob replies to ann without the hashtag (he joins
by the thread), cat retweets the question (a boost, not a post), dan quotes ann. In session 2 ann posts again.
"""

from __future__ import annotations

import csv
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

USERS = {
    "xhost": ("9001", "CTQ Host"),
    "ann_x": ("9002", "Ann on X"),
    "bob_x": ("9003", "Bob"),
    "cat_x": ("9004", "Cat"),
    "dan_x": ("9005", "Dan"),
}


@dataclass(frozen=True)
class Tweet:
    id: str
    user: str
    at: str  # ISO, UTC
    text: str
    reply_to: str | None = None
    retweet_of: str | None = None
    quote_of: str | None = None
    tags: tuple[str, ...] = ("CTQCollab",)
    mentions: tuple[str, ...] = ()
    metrics: tuple[int, int, int] = (1, 2, 3)  # replies, retweets, likes


TWEETS = [
    Tweet("1765100000000000001", "xhost", "2026-03-06T01:02:00", "Q1: What are you reading? #CTQCollab"),
    Tweet(
        "1765100000000000002",
        "ann_x",
        "2026-03-06T01:06:00",
        "A1 poetry &amp; plays #CTQCollab",
        reply_to="1765100000000000001",
        mentions=(),
    ),
    Tweet(
        "1765100000000000003",
        "bob_x",
        "2026-03-06T01:08:00",
        "@ann_x lovely",
        reply_to="1765100000000000002",
        tags=(),
        mentions=("ann_x",),
    ),
    Tweet(
        "1765100000000000004",
        "cat_x",
        "2026-03-06T01:09:00",
        "RT @xhost: Q1: What are you reading? #CTQCollab",
        retweet_of="1765100000000000001",
        mentions=("xhost",),
    ),
    Tweet(
        "1765100000000000005",
        "dan_x",
        "2026-03-06T01:12:00",
        "So true #CTQCollab",
        quote_of="1765100000000000002",
    ),
    Tweet("1765100000000000006", "ann_x", "2026-03-13T00:10:00", "A1 rest #CTQCollab"),
]
BY_ID = {t.id: t for t in TWEETS}
# Known answers: the chat's posts per session (boosts are not posts; bob's reply joins by its thread).
SESSION_POSTS = {"2026-03-06T01:00:00Z": 4, "2026-03-13T00:00:00Z": 1}
CHAT_POST_IDS = {f"x:{t.id}" for t in TWEETS if t.retweet_of is None}


def _v1_time(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%a %b %d %H:%M:%S +0000 %Y")


def v2_user(user: str) -> dict[str, Any]:
    uid, name = USERS[user]
    return {
        "id": uid,
        "username": user,
        "name": name,
        "created_at": "2015-01-01T00:00:00.000Z",
        "description": "I teach.",
        "verified": False,
    }


def v2_tweet(t: Tweet) -> dict[str, Any]:
    refs = [
        {"type": k, "id": v}
        for k, v in (("replied_to", t.reply_to), ("retweeted", t.retweet_of), ("quoted", t.quote_of))
        if v
    ]
    out: dict[str, Any] = {
        "id": t.id,
        "text": t.text,
        "author_id": USERS[t.user][0],
        "created_at": t.at + ".000Z",
        "conversation_id": _root(t).id,
        "edit_history_tweet_ids": [t.id],
        "lang": "en",
        "entities": {
            "hashtags": [{"start": 0, "end": 1, "tag": tag} for tag in t.tags],
            "mentions": [{"start": 0, "end": 1, "username": m} for m in t.mentions],
        },
        "public_metrics": dict(zip(("reply_count", "retweet_count", "like_count"), t.metrics, strict=True)),
    }
    if refs:
        out["referenced_tweets"] = refs
    if t.reply_to:
        out["in_reply_to_user_id"] = USERS[BY_ID[t.reply_to].user][0]
    return out


def _root(t: Tweet) -> Tweet:
    while t.reply_to:
        t = BY_ID[t.reply_to]
    return t


def v2_page(tweets: list[Tweet], *, twarc: bool = True) -> dict[str, Any]:
    """A search response page: the tweets, and in includes their authors, mentioned users and referenced tweets."""
    referenced = {r for t in tweets for r in (t.reply_to, t.retweet_of, t.quote_of) if r} - {
        t.id for t in tweets
    }
    users = {t.user for t in tweets} | {m for t in tweets for m in t.mentions}
    users |= {BY_ID[r].user for r in referenced}
    page: dict[str, Any] = {
        "data": [v2_tweet(t) for t in sorted(tweets, key=lambda t: int(t.id), reverse=True)],
        "includes": {
            "users": [v2_user(u) for u in sorted(users)],
            "tweets": [v2_tweet(BY_ID[r]) for r in sorted(referenced)],
        },
        "meta": {
            "result_count": len(tweets),
            "newest_id": max(t.id for t in tweets),
            "oldest_id": min(t.id for t in tweets),
        },
    }
    if twarc:
        page["__twarc"] = {
            "url": "https://api.twitter.com/2/tweets/search/all?query=%23ctqcollab",
            "version": "2.14.0",
            "retrieved_at": "2026-03-20T12:00:00+00:00",
        }
    return page


def flat_tweet(t: Tweet) -> dict[str, Any]:
    out = v2_tweet(t)
    out["author"] = v2_user(t.user)
    out["entities"]["mentions"] = [{**m, **v2_user(m["username"])} for m in out["entities"]["mentions"]]
    for ref in out.get("referenced_tweets", []):
        ref.update(
            {**v2_tweet(BY_ID[ref["id"]]), "type": ref["type"], "author": v2_user(BY_ID[ref["id"]].user)}
        )
    out["__twarc"] = {
        "url": "https://api.twitter.com/2/tweets/search/all",
        "version": "2.14.0",
        "retrieved_at": "2026-03-20T12:00:00+00:00",
    }
    return out


def v1_tweet(t: Tweet) -> dict[str, Any]:
    uid, name = USERS[t.user]
    out: dict[str, Any] = {
        "created_at": _v1_time(t.at),
        "id": int(t.id),
        "id_str": t.id,
        "full_text": t.text,
        "lang": "en",
        "user": {
            "id": int(uid),
            "id_str": uid,
            "screen_name": t.user,
            "name": name,
            "created_at": "Thu Jan 01 00:00:00 +0000 2015",
            "description": "I teach.",
        },
        "in_reply_to_status_id_str": t.reply_to,
        "in_reply_to_user_id_str": USERS[BY_ID[t.reply_to].user][0] if t.reply_to else None,
        "entities": {
            "hashtags": [{"text": tag, "indices": [0, 1]} for tag in t.tags],
            "user_mentions": [{"id_str": USERS[m][0], "screen_name": m} for m in t.mentions],
        },
        "retweet_count": t.metrics[1],
        "favorite_count": t.metrics[2],
    }
    if t.retweet_of:
        out["retweeted_status"] = v1_tweet(BY_ID[t.retweet_of])
    if t.quote_of:
        out["quoted_status_id_str"] = t.quote_of
        out["quoted_status"] = v1_tweet(BY_ID[t.quote_of])
    return out


TAGS_COLUMNS = [
    "id_str",
    "from_user",
    "text",
    "created_at",
    "time",
    "geo_coordinates",
    "user_lang",
    "in_reply_to_user_id_str",
    "in_reply_to_screen_name",
    "from_user_id_str",
    "in_reply_to_status_id_str",
    "source",
    "profile_image_url",
    "user_followers_count",
    "user_friends_count",
    "user_location",
    "status_url",
    "entities_str",
]


def tags_row(t: Tweet, *, rounded: bool = False) -> list[str]:
    uid, _ = USERS[t.user]
    entities = {
        "hashtags": [{"text": tag} for tag in t.tags],
        "user_mentions": [
            {"screen_name": m, "id": int(USERS[m][0]), "id_str": USERS[m][0]} for m in t.mentions
        ],
    }
    return [
        f"{float(t.id):.5E}" if rounded else t.id,
        t.user,
        t.text,
        _v1_time(t.at),
        t.at + "Z",
        "NA",
        "NA",
        USERS[BY_ID[t.reply_to].user][0] if t.reply_to else "NA",
        BY_ID[t.reply_to].user if t.reply_to else "NA",
        uid,
        t.reply_to or "NA",
        "web",
        "NA",
        "10",
        "20",
        "NA",
        f"http://twitter.com/{t.user}/statuses/{t.id}",
        json.dumps(entities),
    ]


# --- writing the files -------------------------------------------------------------------------------------


def write_twarc_pages(path: Path, tweets: list[Tweet] = TWEETS) -> Path:
    path.write_text(json.dumps(v2_page(tweets)) + "\n", encoding="utf-8")
    return path


def write_twarc_flat(path: Path, tweets: list[Tweet] = TWEETS) -> Path:
    path.write_text("".join(json.dumps(flat_tweet(t)) + "\n" for t in tweets), encoding="utf-8")
    return path


def write_v1(path: Path, tweets: list[Tweet] = TWEETS) -> Path:
    path.write_text("".join(json.dumps(v1_tweet(t)) + "\n" for t in tweets), encoding="utf-8")
    return path


def write_tags(path: Path, tweets: list[Tweet] = TWEETS, *, rounded: bool = True) -> Path:
    """A TAGS sheet as Excel would save it: BOM, CRLF, and ids rounded (status_url keeps them)."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(TAGS_COLUMNS)
        for t in tweets:
            w.writerow(tags_row(t, rounded=rounded))
    return path


def write_account_archive(path: Path, user: str = "ann_x") -> Path:
    uid, name = USERS[user]
    elements = [
        {
            "tweet": {
                "id_str": t.id,
                "id": t.id,
                "full_text": t.text,
                "created_at": _v1_time(t.at),
                "lang": "en",
                "favorite_count": str(t.metrics[2]),
                "retweet_count": str(t.metrics[1]),
                "in_reply_to_status_id_str": t.reply_to,
                "in_reply_to_user_id_str": USERS[BY_ID[t.reply_to].user][0] if t.reply_to else None,
                "entities": {
                    "hashtags": [{"text": tag, "indices": ["0", "1"]} for tag in t.tags],
                    "user_mentions": [{"id_str": USERS[m][0], "screen_name": m} for m in t.mentions],
                },
            }
        }
        for t in TWEETS
        if t.user == user
    ]
    body = ",\n".join("  " + json.dumps(e, indent=2).replace("\n", "\n  ") for e in elements)
    account = {
        "account": {
            "email": "ann@example.org",
            "username": user,
            "accountId": uid,
            "createdAt": "2015-01-01T00:00:00.000Z",
            "accountDisplayName": name,
        }
    }
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("data/tweets.js", "window.YTD.tweets.part0 = [\n" + body + "\n]")
        z.writestr("data/account.js", "window.YTD.account.part0 = [" + json.dumps(account) + "]")
    return path


X_CONFIG = """
[[chats]]
name = "CTQCollab"
hashtags = ["#CTQCollab"]
schedule = { weekday = "thursday", start = "20:00", duration = "60m", timezone = "America/New_York" }
hosts = ["9001", "host@a.social"]
"""
