"""Read the archive X gives an account holder (a zip with data/tweets.js) into raw records, one per tweet.

The tweets are a JavaScript assignment, `window.YTD.tweets.part0 = [ {"tweet": {…}}, … ]` (older archives:
data/tweet.js and `window.YTD.tweet.part0`, elements without the "tweet" wrapper; large ones: tweets-part1.js …).
A bare tweets.js file is read the same way.

The tweets in it carry no author: the author is the account holder, from data/account.js (and the bio from
data/profile.js). So each payload is `{"account": {accountId, username, accountDisplayName, createdAt, bio},
"element": <the array element, verbatim>}` (source 'twitter-archive', kind 'archive_tweet'). Nothing else of
the account (e-mail, phone, devices) is read. `line` is the line of tweets.js where the element starts.
A malformed element becomes a LineError and reading resumes at the next element (X writes one per two-space
indented `{` line).
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from collectors.archives.problems import LineError, UnknownFormat
from collectors.records import RawRecord

SOURCE = "twitter-archive"
KIND = "archive_tweet"
ZIP_MAGIC = b"PK\x03\x04"
_ASSIGNMENT = re.compile(r"\s*window\.YTD\.(\w+)\.part(\d+)\s*=\s*")
_TWEET_PARTS = re.compile(r"(?:^|/)data/(?:tweets?)(?:-part\d+)?\.js$")
_ELEMENT_START = re.compile(r"\n  \{[ \t]*\r?\n")
_ACCOUNT_KEYS = ("accountId", "username", "accountDisplayName", "createdAt")


@dataclass(frozen=True)
class Part:
    """One tweets.js file: where it came from and its text."""

    name: str
    text: str


def is_ytd_script(head: bytes) -> bool:
    return _ASSIGNMENT.match(head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")) is not None


def tweet_parts(names: list[str]) -> list[str]:
    """The tweets.js members of an archive zip, part0 first (deleted-tweets.js and the like excluded)."""

    def order(name: str) -> tuple[int, str]:
        m = re.search(r"-part(\d+)\.js$", name)
        return (int(m.group(1)) if m else 0, name)

    return sorted((n for n in names if _TWEET_PARTS.search(n)), key=order)


def ytd_array(text: str, name: str) -> tuple[str, int]:
    """The text and the position of the `[` the assignment opens; UnknownFormat when it is not one."""
    text = text.removeprefix("\ufeff")
    m = _ASSIGNMENT.match(text)
    if not m or text[m.end() : m.end() + 1] != "[":
        raise UnknownFormat(f"{name}: not an X archive file (no 'window.YTD.<name>.partN = [')")
    return text, m.end()


def _first_object(text: str, name: str, key: str) -> dict[str, Any] | None:
    text, start = ytd_array(text, name)
    try:
        items = json.loads(text[start:].rstrip().rstrip(";"))
    except ValueError:
        return None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get(key), dict):
            return item[key]
    return None


def account_of(account_js: str | None, profile_js: str | None) -> dict[str, Any] | None:
    """The account holder as the payloads carry it (nothing private), or None without account.js."""
    if account_js is None:
        return None
    account = _first_object(account_js, "data/account.js", "account")
    if account is None:
        return None
    out: dict[str, Any] = {k: account.get(k) for k in _ACCOUNT_KEYS}
    profile = _first_object(profile_js, "data/profile.js", "profile") if profile_js else None
    description = (profile or {}).get("description")
    out["bio"] = description.get("bio") if isinstance(description, dict) else None
    return out


def elements(text: str, name: str) -> Iterator[tuple[int, str] | LineError]:
    """(line, verbatim element text) for each element of the assigned array, or a LineError for a bad one."""
    text, pos = ytd_array(text, name)
    decoder = json.JSONDecoder()
    pos += 1
    n = len(text)

    def line_at(p: int) -> int:
        return text.count("\n", 0, p) + 1

    def skip_ws(p: int) -> int:
        while p < n and text[p] in " \t\r\n":
            p += 1
        return p

    pos = skip_ws(pos)
    if pos < n and text[pos] == "]":
        return
    while pos < n:
        try:
            _, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            yield LineError(
                name,
                line_at(e.pos),
                f"malformed JSON ({e.msg}) in the element starting on line {line_at(pos)}",
            )
            resume = _ELEMENT_START.search(text, e.pos)
            if resume is None:
                return
            pos = resume.start() + 3
            continue
        yield line_at(pos), text[pos:end]
        pos = skip_ws(end)
        if pos < n and text[pos] == ",":
            pos = skip_ws(pos + 1)
        elif pos < n and text[pos] == "]":
            return
        else:
            yield LineError(name, line_at(pos), "expected ',' or ']' after an element")
            resume = _ELEMENT_START.search(text, pos)
            if resume is None:
                return
            pos = resume.start() + 3
    yield LineError(name, line_at(n), "the array is not closed with ']'")


def check_element(element: Any) -> None:
    """ValueError unless the element is a tweet as X archives it."""
    if not isinstance(element, dict):
        raise ValueError("not a JSON object")
    tweet = element.get("tweet", element)
    if not isinstance(tweet, dict):
        raise ValueError('"tweet" is not an object')
    id_str = tweet.get("id_str", tweet.get("id"))
    if not (isinstance(id_str, str) and id_str.isdigit()):
        raise ValueError(f"not a tweet: id_str is {id_str!r}")
    if not isinstance(tweet.get("created_at"), str):
        raise ValueError("not a tweet: no created_at")


def read_parts(
    parts: list[Part], account: dict[str, Any] | None, *, origin: str, fetched_at: datetime
) -> Iterator[RawRecord | LineError]:
    account_json = json.dumps(account, ensure_ascii=False)
    for part in parts:
        for item in elements(part.text, part.name):
            if isinstance(item, LineError):
                yield item
                continue
            line, raw = item
            try:
                check_element(json.loads(raw))
            except ValueError as e:
                yield LineError(part.name, line, str(e), raw)
                continue
            payload = f'{{"account": {account_json}, "element": {raw}}}'
            yield RawRecord(SOURCE, KIND, origin, payload, fetched_at=fetched_at, file=part.name, line=line)


@dataclass(frozen=True)
class ArchiveContents:
    parts: list[Part]
    account: dict[str, Any] | None


def open_archive(path: Path, origin: str) -> ArchiveContents:
    """The tweets.js parts and the account of an archive zip, or of a bare tweets.js file."""
    if path.read_bytes()[:4] != ZIP_MAGIC:
        text = path.read_bytes().decode("utf-8", "replace")
        ytd_array(text, origin)
        return ArchiveContents([Part(origin, text)], None)
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            parts = tweet_parts(names)
            if not parts:
                raise UnknownFormat(f"{origin}: a zip without data/tweets.js, not an X account archive")

            def member(suffix: str) -> str | None:
                found = [n for n in names if n.endswith(suffix)]
                return z.read(found[0]).decode("utf-8", "replace") if found else None

            texts = [Part(f"{origin}:{n}", z.read(n).decode("utf-8", "replace")) for n in parts]
            account = account_of(member("data/account.js"), member("data/profile.js"))
    except zipfile.BadZipFile as e:
        raise UnknownFormat(f"{origin}: a damaged zip file ({e})") from None
    return ArchiveContents(texts, account)


def read_twitter_archive(path: Path, *, origin: str, fetched_at: datetime) -> Iterator[RawRecord | LineError]:
    contents = open_archive(path, origin)
    yield from read_parts(contents.parts, contents.account, origin=origin, fetched_at=fetched_at)
