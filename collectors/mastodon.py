"""Capture a chat's hashtags from several Mastodon instances with Mastodon.py: back-fill, then follow the streams.

One RawRecord per status (source 'mastodon', kind 'status', origin = the instance host, payload = the status JSON
as the instance sent it, taken from the response body rather than Mastodon.py's parsed objects), and kind
'delete' for a streamed delete (payload: the JSON string of the instance-local id, as `tagtrail import mastodon`
stores streaming delete events). Context posts (ancestors and descendants of a captured reply or replied-to post)
carry is_context. The collector never opens the database: it writes to a Sink and reads a CheckpointStore.

Checkpoints, per (instance, hashtag), written with the pages they cover:
- key `<tag>`: newest_id/newest_at = the top of the stretch captured without a gap, oldest_id = its bottom;
- key `<tag>/floor`: newest_at = how far back the stretch is complete (the --since of the walk that reached
  it, or 1970-01-01 for the start of the timeline); absent while a first back-fill is unfinished.
A run (a) walks the hashtag timeline newest first (40 per page, Link `next`/max_id) from the top down to the
checkpoint and an overlap window behind it, and moves `newest` when it gets there; then (b) walks back from
`oldest` when the floor is missing (a first back-fill that was interrupted) or --since asks for more, moving
`oldest` with every page and writing the floor at the end. Without a checkpoint, (a) is the first back-fill and
carries (newest, oldest) with every page. A crash anywhere leaves a checkpoint whose stretch was all stored, so a
restart resumes without loss; payloads already stored are not stored twice (the archive dedupes), so overlaps
are free.

The overlap: ids are not arrival order. A status an instance fetched late gets an id from its publication time
(mastodon/mastodon PR #5260), so it can land behind the newest id seen, and it is never pushed to streams. So
every catch-up re-reads `overlap` (default 1 hour) of created_at behind the newest post, and --follow re-scans
every `rescan` seconds besides streaming.

--follow streams each hashtag from each instance in its own thread (Mastodon.py `stream_hashtag`). A blocking
stream returns when the server closes it: a return, an error or a malformed event is a drop. After every
connect the gap is back-filled first (the catch-up above), and a drop reconnects with a growing pause.

Rate limits (`X-RateLimit-*`, Mastodon.py `ratelimit_method="throw"`) are waited out until the reset, saying
so on the live line; 5xx and network errors are retried with a growing pause; 401/403/404/422 stop that
instance (reported) and the others go on.

Opt-out: authors with `noindex: true`, `discoverable: false` (explicitly: null or absent means they never said,
so they are kept, as the warehouse's `authors` model does) or #nobot / #noarchive in their bio are not stored
unless respect_opt_out is false; neither are boosts of their posts. Only public and unlisted statuses are
stored. Tokens never appear in messages, logs or stored data.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from mastodon import Mastodon, StreamListener
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonMalformedEventError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonServerError,
)
from selectolax.lexbor import LexborHTMLParser

from collectors.mastodon_instances import Instance, token_env_name
from collectors.records import CaptureEvent, Checkpoint, CheckpointStore, RawRecord, Sink, utcnow

SOURCE = "mastodon"
PAGE_SIZE = 40  # the most a Mastodon timeline page holds
OVERLAP = timedelta(hours=1)
RESCAN_SECONDS = 300.0
REQUEST_TIMEOUT = 30.0
STREAM_READ_TIMEOUT = 90.0  # servers send a heartbeat every ~15 s; silence this long is a dead connection
MAX_RETRIES = 5  # 5xx answers or network errors on one request before the instance is given up
MAX_BACKOFF = 60.0
STOP_GRACE_SECONDS = 5.0
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
STORED_VISIBILITY = {"public", "unlisted"}
FATAL_STATUS = {401: "unauthorized", 403: "forbidden", 404: "not found", 410: "gone", 422: "refused"}
_OPT_OUT_TAG = re.compile(r"#no(?:bot|archive)\b", re.IGNORECASE)  # as the warehouse's authors model reads it


class MastodonCaptureError(RuntimeError):
    """A problem with one instance, phrased for the user on one line; never contains a token."""


class _Unreachable(MastodonCaptureError):
    """The instance kept failing (5xx answers, network errors): with --follow, worth trying again later."""


class _Stopped(Exception):
    """The run was asked to stop (Ctrl-C)."""


# --- what is stored --------------------------------------------------------------------------------------------


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def status_problem(status: Any) -> str | None:
    """Why a status cannot be stored (None when it can); the same checks as the file importer's."""
    if not isinstance(status, dict):
        return "status is not a JSON object"
    for key in ("uri", "id", "created_at"):
        if not status.get(key):
            return f'not a Mastodon status: no "{key}"'
    if not isinstance(status.get("account"), dict):
        return 'not a Mastodon status: no "account"'
    if not str(status["id"]).isdigit():
        return 'bad "id"'
    if _parse_time(status["created_at"]) is None:
        return 'bad "created_at" timestamp'
    return None


def opted_out(account: Any) -> bool:
    """An author who asked not to be archived: noindex, discoverable explicitly false, #nobot/#noarchive in bio."""
    if not isinstance(account, dict):
        return False
    if account.get("noindex") is True or account.get("discoverable") is False:
        return True
    note = account.get("note")
    if isinstance(note, str) and "#" in note:
        text = LexborHTMLParser(note).text(separator="") or ""  # '#<span>nobot</span>' is one word
        return bool(_OPT_OUT_TAG.search(text))
    return False


def _excluded(status: dict[str, Any], respect_opt_out: bool) -> str | None:
    """'private' or 'opt-out' when a valid status must not be stored."""
    if status.get("visibility") not in STORED_VISIBILITY:
        return "private"
    if respect_opt_out:
        reblog = status.get("reblog")
        if opted_out(status.get("account")) or (
            isinstance(reblog, dict) and opted_out(reblog.get("account"))
        ):
            return "opt-out"
    return None


def _payload(status: dict[str, Any]) -> str:
    return json.dumps(status, ensure_ascii=False, separators=(",", ":"))


# --- progress ---------------------------------------------------------------------------------------------------


@dataclass
class InstanceStats:
    """What one instance's capture did so far; read by the live line while the workers update it."""

    host: str
    posts: int = 0  # statuses stored (the hashtag's own)
    new: int = 0  # of the records written, how many the archive did not hold yet
    context: int = 0
    edits: int = 0
    deletes: int = 0
    skipped_opt_out: int = 0
    skipped_private: int = 0
    rejected: int = 0
    reconnects: int = 0
    rate_limit_waits: int = 0
    newest_at: datetime | None = None
    state: str = "starting"
    warning: str | None = None
    error: str | None = None

    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def bump(self, counter: str, n: int = 1) -> None:
        """Add to a counter; several hashtag threads of one instance share these stats."""
        with self._lock:
            setattr(self, counter, getattr(self, counter) + n)

    def saw(self, created_at: datetime | None) -> None:
        if created_at is not None and (self.newest_at is None or created_at > self.newest_at):
            self.newest_at = created_at


class _SharedSink:
    """The sink for all worker threads: one write at a time, so that the archive's dedupe sees every earlier
    write; once closed (the run ends) no write starts, so no thread is inside the database when the process
    exits."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self._lock = threading.Lock()
        self._closed = False

    @contextlib.contextmanager
    def _open(self) -> Iterator[None]:
        with self._lock:
            if self._closed:
                raise _Stopped
            yield

    def close(self) -> None:
        with self._lock:
            self._closed = True

    def write(self, records: Sequence[RawRecord], checkpoints: Sequence[Checkpoint] = ()) -> int:
        with self._open():
            return self._sink.write(records, checkpoints)

    def log(self, event: CaptureEvent) -> None:
        with self._open():
            self._sink.log(event)

    def checkpoint(self, store: CheckpointStore, origin: str, key: str) -> Checkpoint | None:
        with self._open():
            return store.checkpoint(SOURCE, origin, key)

    def reject(self, origin: str, problems: list[tuple[str, str]], at: datetime) -> None:
        """Keep malformed statuses aside when the sink can (warehouse.archive.Archive.reject); else drop them."""
        reject = getattr(self._sink, "reject", None)
        if reject is None or not problems:
            return
        with self._open():
            reject(SOURCE, origin, [(None, None, reason, text) for reason, text in problems], at=at)


# --- the HTTP side --------------------------------------------------------------------------------------------


class _BodySession(requests.Session):
    """Keeps the last response each thread received, so that the body can be stored as the server sent it."""

    def __init__(self) -> None:
        super().__init__()
        self._last = threading.local()

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        self._last.response = response
        return response

    def last_json(self) -> Any:
        response: requests.Response | None = getattr(self._last, "response", None)
        if response is None:
            raise MastodonCaptureError("no response was received")
        try:
            return json.loads(response.content.decode("utf-8"))
        except ValueError:
            raise MastodonCaptureError(
                f"sent a response that is not JSON ({len(response.content)} bytes)"
            ) from None


def make_client(instance: Instance) -> tuple[Mastodon, _BodySession]:
    session = _BodySession()
    client = Mastodon(
        api_base_url=instance.base_url,
        access_token=instance.token or None,
        ratelimit_method="throw",
        request_timeout=REQUEST_TIMEOUT,
        version_check_mode="none",
        session=session,
        user_agent="tagtrail",
    )
    return client, session


Wait = Callable[[float], bool]  # sleep up to n seconds; True when the run was asked to stop meanwhile


def _http_status(e: MastodonAPIError) -> int | None:
    return e.args[1] if len(e.args) > 1 and isinstance(e.args[1], int) else None


def _detail(e: MastodonError) -> str:
    if isinstance(e, MastodonAPIError):
        code = _http_status(e)
        msg = e.args[3] if len(e.args) > 3 and e.args[3] else (e.args[2] if len(e.args) > 2 else "")
        text = f"HTTP {code}" if code else "error"
        return " ".join(f"{text} {msg}".split())[:200]
    return type(e).__name__


# --- one instance -----------------------------------------------------------------------------------------------


@dataclass
class _Run:
    """Everything one capture run shares between its threads."""

    sink: _SharedSink
    checkpoints: CheckpointStore
    hashtags: list[str]
    since: datetime | None
    context: bool
    respect_opt_out: bool
    overlap: timedelta
    backoff: float
    wait: Wait
    stop: threading.Event
    now: Callable[[], datetime]
    on_change: Callable[[InstanceStats], None]
    contexts_lock: threading.Lock = field(default_factory=threading.Lock)
    contexts_seen: set[tuple[str, str]] = field(default_factory=set)  # (host, local id) already in a context
    captured: set[tuple[str, str]] = field(default_factory=set)  # (host, local id) stored in this run


class _Worker:
    """One (instance, hashtag): its own client (Mastodon.py keeps rate-limit state per client)."""

    def __init__(
        self, run: _Run, instance: Instance, tag: str, stats: InstanceStats, rescan: float = RESCAN_SECONDS
    ) -> None:
        self.run = run
        self.rescan = rescan
        self.instance = instance
        self.host = instance.host
        self.tag = tag
        self.stats = stats
        self.client, self.session = make_client(instance)
        self.query = f"tag:{tag}"
        self.posts_since_log = 0  # new posts not yet in the capture log (the stream thread adds to it too)
        self.log_lock = threading.Lock()

    # --- calling the API -----------------------------------------------------------------------------------
    def _state(self, text: str) -> None:
        self.stats.state = text
        self.run.on_change(self.stats)

    def call(self, fn: Callable[[], Any], what: str, *, retries: int | None = MAX_RETRIES) -> Any:
        """One request: rate limits waited out, transient failures retried; raises MastodonCaptureError."""
        failures = 0
        while True:
            if self.run.stop.is_set():
                raise _Stopped
            try:
                result = fn()
            except MastodonRatelimitError:
                self._rate_limit_wait(what)
                continue
            except (MastodonServerError, MastodonNetworkError) as e:
                failures += 1
                if retries is not None and failures > retries:
                    raise _Unreachable(f"{what} failed {failures} times ({_detail(e)})") from None
                pause = min(self.run.backoff * 2.0 ** (failures - 1), MAX_BACKOFF)
                self._state(f"{what}: {_detail(e)}, retrying in {pause:.0f} s")
                if self.run.wait(pause):
                    raise _Stopped from None
                continue
            except MastodonAPIError as e:
                code = _http_status(e)
                if code in (401, 403) and not self.instance.token:
                    raise MastodonCaptureError(
                        f"{what}: {_detail(e)}; this instance needs an access token: "
                        f"set {token_env_name(self.host)}"
                    ) from None
                raise MastodonCaptureError(f"{what}: {_detail(e)}") from None
            except MastodonError as e:
                raise MastodonCaptureError(f"{what}: {_detail(e)}") from None
            if self.client.ratelimit_remaining is not None and self.client.ratelimit_remaining <= 0:
                self._rate_limit_wait(what)
            return result

    def _rate_limit_wait(self, what: str) -> None:
        reset = self.client.ratelimit_reset
        pause = max(float(reset) - time.time(), 0.0) + 0.5 if reset else 60.0
        self.stats.bump("rate_limit_waits")
        self._state(f"rate limit reached ({what}): waiting {pause:.0f} s for the reset")
        # Mastodon.py asks again only when told; forget the exhausted window once it has passed.
        self.client.ratelimit_remaining = 1
        if self.run.wait(pause):
            raise _Stopped

    # --- storing ---------------------------------------------------------------------------------------------
    def keep(self, statuses: Iterable[Any], *, query: str, is_context: bool) -> list[dict[str, Any]]:
        """Records for the statuses that may be stored; counts and keeps aside the others."""
        kept: list[dict[str, Any]] = []
        problems: list[tuple[str, str]] = []
        for status in statuses:
            problem = status_problem(status)
            if problem is not None:
                problems.append((problem, json.dumps(status, ensure_ascii=False)))
                continue
            why = _excluded(status, self.run.respect_opt_out)
            if why == "private":
                self.stats.bump("skipped_private")
            elif why == "opt-out":
                self.stats.bump("skipped_opt_out")
            else:
                kept.append(status)
        if problems:
            self.stats.bump("rejected", len(problems))
            self.run.sink.reject(self.host, problems, self.run.now())
        return kept

    def store(
        self,
        statuses: list[dict[str, Any]],
        *,
        query: str,
        is_context: bool = False,
        checkpoints: Sequence[Checkpoint] = (),
    ) -> None:
        now = self.run.now()
        records = [
            RawRecord(SOURCE, "status", self.host, _payload(s), now, query=query, is_context=is_context)
            for s in statuses
        ]
        new = self.run.sink.write(records, checkpoints) if records or checkpoints else 0
        self.stats.bump("new", new)
        with self.run.contexts_lock:
            self.run.captured.update((self.host, str(s["id"])) for s in statuses)
        if is_context:
            self.stats.bump("context", len(records))
        else:
            self.stats.bump("posts", len(records))
            # The capture log counts posts new to the archive, so that re-reading an overlap counts nothing.
            with self.log_lock:
                self.posts_since_log += new
            for s in statuses:
                self.stats.saw(_parse_time(s["created_at"]))
        self.run.on_change(self.stats)

    def fetch_context(self, statuses: Iterable[dict[str, Any]]) -> None:
        """The thread around every reply or replied-to post, once per thread per run."""
        if not self.run.context:
            return
        # Oldest first, so that a thread's root comes before its replies: the root's context covers them.
        for status in sorted(statuses, key=lambda s: int(s["id"])):
            parent, replies = status.get("in_reply_to_id"), status.get("replies_count") or 0
            if not (parent or replies > 0):
                continue
            key = (self.host, str(status["id"]))
            with self.run.contexts_lock:
                if key in self.run.contexts_seen:
                    continue
                if not replies and (self.host, str(parent)) in self.run.captured:
                    continue  # a new reply in a thread already here (a live chat): nothing above it is missing
                self.run.contexts_seen.add(key)
            try:
                self.call(lambda s=status: self.client.status_context(s["id"]), f"context of {status['id']}")
                body = self.session.last_json()
            except MastodonCaptureError as e:
                # A thread that vanished (deleted, now private) is not a reason to stop the capture.
                self.stats.warning = f"context of {status['id']}: {e}"
                continue
            around: list[Any] = []
            below: list[Any] = []
            if isinstance(body, dict):
                below = body.get("descendants") or []
                around = (body.get("ancestors") or []) + below
            # A descendant's own context is inside this one; an ancestor's is not (it may have other replies).
            with self.run.contexts_lock:
                self.run.contexts_seen.update(
                    (self.host, str(s["id"])) for s in below if isinstance(s, dict) and s.get("id")
                )
            kept = self.keep(around, query=f"context:{status['id']}", is_context=True)
            self.store(kept, query=f"context:{status['id']}", is_context=True)

    # --- the timeline ---------------------------------------------------------------------------------------
    def _cp(self, **kw: Any) -> Checkpoint:
        return Checkpoint(SOURCE, self.host, self.tag, **kw)

    def _floor(self, at: datetime) -> Checkpoint:
        return Checkpoint(SOURCE, self.host, f"{self.tag}/floor", newest_at=at)

    def pages(self, max_id: str | None) -> Iterable[list[Any]]:
        """The hashtag timeline newest first from max_id (or the top), one raw page (a list) at a time."""
        what = f"#{self.tag} timeline"
        page = self.call(lambda: self.client.timeline_hashtag(self.tag, limit=PAGE_SIZE, max_id=max_id), what)
        while True:
            body = self.session.last_json()
            if not isinstance(body, list):
                raise MastodonCaptureError(
                    f"{what}: the server sent a {type(body).__name__}, not a list of statuses"
                )
            yield body
            if not body or page is None:
                return
            page = self.call(lambda p=page: self.client.fetch_next(p), what)
            if page is None:
                return

    def backfill(self) -> None:
        """Catch up from the top to the checkpoint (or walk the first back-fill), then walk back if needed."""
        cp = self.run.sink.checkpoint(self.run.checkpoints, self.host, self.tag)
        floor = self.run.sink.checkpoint(self.run.checkpoints, self.host, f"{self.tag}/floor")
        since = self.run.since
        if cp is None or cp.newest_id is None:
            self._state(f"#{self.tag}: back-filling")
            self._walk(None, since, first=True)
            return
        self._state(f"#{self.tag}: catching up")
        self._catch_up(cp)
        floor_at = floor.newest_at if floor is not None else None
        if cp.oldest_id and (floor_at is None or (since is not None and since < floor_at)):
            self._state(f"#{self.tag}: back-filling")
            self._walk(cp.oldest_id, since, first=False)

    def _walk(self, max_id: str | None, since: datetime | None, *, first: bool) -> None:
        top: tuple[str, datetime] | None = None
        for body in self.pages(max_id):
            valid = [s for s in body if status_problem(s) is None]
            checkpoints: list[Checkpoint] = []
            reached = False
            if valid:
                bottom = min(valid, key=lambda s: int(s["id"]))
                if first and top is None:
                    newest = max(valid, key=lambda s: int(s["id"]))
                    top = (str(newest["id"]), max(_parse_time(s["created_at"]) for s in valid))  # type: ignore[type-var]
                if first and top is not None:
                    checkpoints.append(
                        self._cp(newest_id=top[0], newest_at=top[1], oldest_id=str(bottom["id"]))
                    )
                else:
                    checkpoints.append(self._cp(oldest_id=str(bottom["id"])))
                reached = since is not None and min(_parse_time(s["created_at"]) for s in valid) < since  # type: ignore[type-var]
            if not body or reached:
                checkpoints.append(self._floor(since or EPOCH))
            kept = self.keep(body, query=self.query, is_context=False)
            self.store(kept, query=self.query, checkpoints=checkpoints)
            self.fetch_context(kept)
            if reached:
                return
        # The timeline ended (a last page without a `next` link).
        self.store([], query=self.query, checkpoints=[self._floor(since or EPOCH)])

    def _catch_up(self, cp: Checkpoint) -> None:
        """From the top down to the checkpoint's newest post and the overlap window behind it."""
        assert cp.newest_id is not None
        old_newest = int(cp.newest_id)
        horizon = (cp.newest_at or EPOCH) - self.run.overlap
        top: tuple[str, datetime] | None = None
        for body in self.pages(None):
            valid = [s for s in body if status_problem(s) is None]
            kept = self.keep(body, query=self.query, is_context=False)
            self.store(kept, query=self.query)
            self.fetch_context(kept)
            if valid:
                newest = max(valid, key=lambda s: int(s["id"]))
                newest_at = max(_parse_time(s["created_at"]) for s in valid)  # type: ignore[type-var]
                if top is None or int(newest["id"]) > int(top[0]):
                    top = (str(newest["id"]), newest_at)
            if any(int(s["id"]) <= old_newest and _parse_time(s["created_at"]) < horizon for s in valid):  # type: ignore[operator]
                break
        if top is not None and int(top[0]) > old_newest:
            self.store([], query=self.query, checkpoints=[self._cp(newest_id=top[0], newest_at=top[1])])

    def log(self, error: str | None = None) -> None:
        with self.log_lock:
            posts, self.posts_since_log = self.posts_since_log, 0
        self.run.sink.log(CaptureEvent(SOURCE, self.host, self.tag, posts=posts, error=error))

    # --- streaming -------------------------------------------------------------------------------------------
    def follow(self) -> None:
        """Stream the hashtag until stopped: connect, back-fill the gap, keep going; reconnect after a drop."""
        try:
            self._follow()
        except _Stopped:
            pass
        except Exception as e:  # e.g. the archive stayed locked: say so on the live line, and end this stream
            self.stats.error = f"#{self.tag}: unexpected {type(e).__name__}: {e}"
            self._state("failed")

    def _follow(self) -> None:
        pause = self.run.backoff
        while not self.run.stop.is_set():
            listener = _Listener(self)
            thread = threading.Thread(
                target=listener.run, name=f"stream {self.host} #{self.tag}", daemon=True
            )
            thread.start()
            while not (listener.connected.is_set() or listener.done.is_set() or self.run.stop.is_set()):
                listener.done.wait(0.05)
            # The gap since the newest post seen, also when the stream would not connect (then this is a poll).
            self._state(f"#{self.tag}: back-filling the gap")
            self._catch_up_logged()
            if listener.connected.is_set():
                self._state(f"#{self.tag}: streaming")
                last_scan = time.monotonic()
                while not listener.done.wait(0.2):
                    if self.run.stop.is_set():
                        return
                    if time.monotonic() - last_scan >= self.rescan:
                        self._catch_up_logged()
                        self._state(f"#{self.tag}: streaming")
                        last_scan = time.monotonic()
                if listener.events:
                    pause = self.run.backoff
            if self.run.stop.is_set():
                return
            self.stats.bump("reconnects")
            reason = listener.error or "the server closed the stream"
            self._state(f"#{self.tag}: stream dropped ({reason}); reconnecting in {pause:.0f} s")
            if self.run.wait(pause):
                return
            pause = min(pause * 2, MAX_BACKOFF)

    def _catch_up_logged(self) -> None:
        cp = self.run.sink.checkpoint(self.run.checkpoints, self.host, self.tag)
        try:
            if cp is None or cp.newest_id is None:
                self._walk(None, self.run.since, first=True)
            else:
                self._catch_up(cp)
        except MastodonCaptureError as e:
            self.stats.error = str(e)
            self.log(str(e))
            return
        self.stats.error = None
        self.log()

    def on_status(self, raw: str | None, *, edit: bool) -> None:
        try:
            status = json.loads(raw or "")
        except ValueError:
            status = raw
        kept = self.keep([status], query=self.query, is_context=False)
        if edit and kept:
            self.stats.bump("edits")
        self.store(kept, query=self.query)
        self.fetch_context(kept)

    def on_delete(self, raw: str | None) -> None:
        local_id = (raw or "").strip().strip('"')
        if not local_id.isdigit():
            return
        record = RawRecord(
            SOURCE, "delete", self.host, json.dumps(local_id), self.run.now(), query=self.query
        )
        self.stats.bump("new", self.run.sink.write([record]))
        self.stats.bump("deletes")
        self.run.on_change(self.stats)


class _Listener(StreamListener):
    """Hands each streamed event's JSON, as received, to the worker; stops on request."""

    def __init__(self, worker: _Worker) -> None:
        super().__init__()
        self.worker = worker
        self.connected = threading.Event()
        self.done = threading.Event()
        self.error: str | None = None
        self.events = 0
        self._raw: str | None = None

    def run(self) -> None:
        try:
            self.worker.client.stream_hashtag(self.worker.tag, self, timeout=STREAM_READ_TIMEOUT)
        except _Stopped:
            pass
        except MastodonMalformedEventError:
            self.error = "a malformed event"
        except MastodonError as e:
            self.error = _detail(e)
        except Exception as e:  # the stream thread must always say it ended, whatever ended it
            self.error = type(e).__name__
        finally:
            self.done.set()

    def handle_stream(self, response: requests.Response) -> None:
        self.connected.set()
        super().handle_stream(response)

    def _dispatch(self, event: dict[str, str]) -> None:
        # Mastodon.py parses the event's data into typed objects; keep the text as the server sent it.
        self._raw = event.get("data") if isinstance(event, dict) else None
        super()._dispatch(event)

    def _check(self) -> None:
        if self.worker.run.stop.is_set():
            raise _Stopped

    def handle_heartbeat(self) -> None:
        self._check()

    def on_update(self, status: Any) -> None:
        self._check()
        self.events += 1
        self.worker.on_status(self._raw, edit=False)

    def on_status_update(self, status: Any) -> None:
        self._check()
        self.events += 1
        self.worker.on_status(self._raw, edit=True)

    def on_delete(self, status_id: Any) -> None:
        self._check()
        self.events += 1
        self.worker.on_delete(self._raw)

    def on_unknown_event(self, name: str, unknown_event: Any = None) -> None:
        self._check()

    def on_abort(self, err: Exception) -> None:
        self.error = str(err) or type(err).__name__


# --- the whole run ------------------------------------------------------------------------------------------------


def check_access(worker: _Worker) -> None:
    """Tell the user when an instance shows hashtag timelines only to logged-in users (instance v2
    configuration.timelines_access.hashtag_feeds), rather than silently collecting nothing."""
    try:
        worker.call(worker.client.instance_v2, "instance information")
        info = worker.session.last_json()
    except MastodonCaptureError:
        return  # older servers have no v2 instance endpoint; the timeline itself will say if it is closed
    feeds = (
        ((info.get("configuration") or {}).get("timelines_access") or {}).get("hashtag_feeds")
        if isinstance(info, dict)
        else None
    )
    if not isinstance(feeds, dict):
        return
    allowed = {"public", "authenticated"} if worker.instance.token else {"public"}
    local, remote = feeds.get("local"), feeds.get("remote")
    env = token_env_name(worker.host)
    if local not in allowed and remote not in allowed:
        if "authenticated" in (local, remote) and not worker.instance.token:
            raise MastodonCaptureError(
                f"this instance shows hashtag timelines only to logged-in users: set {env}"
            )
        raise MastodonCaptureError("this instance has hashtag timelines turned off")
    if local not in allowed or remote not in allowed:
        part = "local" if local in allowed else "remote"
        worker.stats.warning = f"without a token only {part} posts are shown: set {env} for all"


def capture(
    instances: Sequence[Instance],
    hashtags: Sequence[str],
    sink: Sink,
    checkpoints: CheckpointStore,
    *,
    since: datetime | None = None,
    follow: bool = False,
    context: bool = True,
    respect_opt_out: bool = True,
    overlap: timedelta = OVERLAP,
    rescan: float = RESCAN_SECONDS,
    backoff: float = 1.0,
    stop: threading.Event | None = None,
    now: Callable[[], datetime] = utcnow,
    on_change: Callable[[InstanceStats], None] = lambda stats: None,
) -> list[InstanceStats]:
    """Back-fill every hashtag on every instance (then, with follow, stream them until `stop` is set).

    Instances run in parallel threads; an instance that fails is reported in its stats and the others go on.
    """
    tags = list(dict.fromkeys(t.strip().lstrip("#").lower() for t in hashtags if t.strip().lstrip("#")))
    if not tags:
        raise MastodonCaptureError("the chat has no hashtags")
    if not instances:
        raise MastodonCaptureError("no Mastodon instances given")
    stop = stop or threading.Event()
    run = _Run(
        sink=_SharedSink(sink),
        checkpoints=checkpoints,
        hashtags=tags,
        since=since,
        context=context,
        respect_opt_out=respect_opt_out,
        overlap=overlap,
        backoff=backoff,
        wait=stop.wait,
        stop=stop,
        now=now,
        on_change=on_change,
    )
    stats = [InstanceStats(i.host) for i in instances]
    threads = [
        threading.Thread(target=_instance, args=(run, i, s, follow, rescan), name=i.host, daemon=True)
        for i, s in zip(instances, stats, strict=True)
    ]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    except KeyboardInterrupt:
        # Ctrl-C: every thread stops at its next step; the write under way (one transaction) is finished.
        stop.set()
        for t in threads:
            t.join(STOP_GRACE_SECONDS)
    finally:
        run.sink.close()
    return stats


def _instance(run: _Run, instance: Instance, stats: InstanceStats, follow: bool, rescan: float) -> None:
    workers = [_Worker(run, instance, tag, stats, rescan) for tag in run.hashtags]
    current = workers[0]
    try:
        check_access(current)
        for current in workers:
            try:
                current.backfill()
            except _Unreachable as e:
                if not follow:
                    raise
                # Following: the gap back-fill after the stream connects tries again, and so on until it works.
                stats.error = str(e)
                current.log(str(e))
                continue
            current.log()
        if not follow:
            stats.state = "done"
            run.on_change(stats)
            return
        streams = [
            threading.Thread(target=w.follow, name=f"{instance.host} #{w.tag}", daemon=True) for w in workers
        ]
        for t in streams:
            t.start()
        for t in streams:
            while t.is_alive():
                t.join(0.2)
        stats.state = "stopped"
    except _Stopped:
        stats.state = "stopped"
    except MastodonCaptureError as e:
        stats.error = str(e)
        stats.state = "failed"
        with contextlib.suppress(_Stopped):
            current.log(str(e))
    except Exception as e:  # one instance's failure, whatever it is, must not stop the others silently
        stats.error = f"unexpected {type(e).__name__}: {e}"
        stats.state = "failed"
    run.on_change(stats)
