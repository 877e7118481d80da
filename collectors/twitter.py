"""Capture tweets from the X API v2 search endpoints with tweepy, keeping every response page verbatim.

One RawRecord per response page (source 'twitter', kind 'page': the v2 body with `data`, `includes`, `meta`),
origin 'api.x.com', query = the search query. Flattening the pages into posts is the warehouse's job.

The query: a chat's hashtags OR-ed together, e.g. `(#ctqcollab OR #ctqchat)`. Retweets are kept on purpose:
in the canonical model a retweet is a boost, and boosts are interactions the reports count.

Resuming (the checkpoint for ('twitter', 'api.x.com', query) holds the ids of the newest and oldest tweet
captured; everything between them is captured). X returns search results newest first, so:
- a first run walks back from now (or --until) and writes, with every page, newest = the run's first tweet and
  oldest = the page's last one: a crash resumes by walking back from `until_id=oldest`;
- a later run first catches up with `since_id=newest`, and moves `newest` only with the last page of that
  catch-up (moving it earlier would leave a gap after a crash), then walks back from `until_id=oldest` down to
  --since, if that was not finished.
Each page and the checkpoint it advances go to the sink in one write.

Rate limits are waited out until the `x-rate-limit-reset` the 429 response carries (with an injectable sleep and
clock); 5xx answers and dropped connections are retried with a growing pause. The bearer token comes from the
caller (TAGTRAIL_TWITTER_BEARER_TOKEN or the config); it never appears in messages, logs or stored data.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import tweepy
from requests.adapters import HTTPAdapter

from collectors.records import CaptureEvent, Checkpoint, CheckpointStore, RawRecord, Sink, utcnow

log = logging.getLogger(__name__)

SOURCE = "twitter"
ORIGIN = "api.x.com"
TOKEN_ENV = "TAGTRAIL_TWITTER_BEARER_TOKEN"

# What the canonical model needs from a tweet and its author; expansions bring the authors, the tweets replied
# to, quoted and retweeted (with their authors) and the mentioned users into `includes`.
TWEET_FIELDS = [
    "author_id",
    "conversation_id",
    "created_at",
    "edit_controls",
    "edit_history_tweet_ids",
    "entities",
    "in_reply_to_user_id",
    "lang",
    "public_metrics",
    "referenced_tweets",
    "reply_settings",
    "source",
]
EXPANSIONS = [
    "author_id",
    "edit_history_tweet_ids",
    "entities.mentions.username",
    "in_reply_to_user_id",
    "referenced_tweets.id",
    "referenced_tweets.id.author_id",
]
USER_FIELDS = [
    "created_at",
    "description",
    "entities",
    "location",
    "name",
    "protected",
    "public_metrics",
    "url",
    "username",
    "verified",
]
FIELDS: dict[str, Any] = {"tweet_fields": TWEET_FIELDS, "expansions": EXPANSIONS, "user_fields": USER_FIELDS}

PAGE_SIZE = 100  # the largest page both search endpoints allow with these expansions
LOOKUP_BATCH = 100  # ids per tweet lookup, the API's maximum
RECENT_WINDOW = timedelta(days=7)
MAX_QUERY_LENGTH = {"recent": 512, "archive": 1024}
REQUEST_TIMEOUT = 60.0
MAX_RATE_LIMIT_WAITS = 10  # consecutive 429s on one request before giving up: the server is not recovering
MAX_RETRIES = 5  # 5xx answers or dropped connections on one request
CONTEXT_ROUNDS = (
    20  # how far up a reply chain --context climbs (each round also brings one level in includes)
)


class TwitterCaptureError(RuntimeError):
    """A capture problem phrased for the user on one line; never contains the token."""


@dataclass
class CaptureResult:
    """What one capture run did."""

    pages: int = 0
    tweets: int = 0
    new_records: int = 0
    context_pages: int = 0
    context_tweets: int = 0
    rate_limit_waits: list[float] = field(default_factory=list)
    newest_id: str | None = None
    oldest_id: str | None = None


Sleep = Callable[[float], None]
Clock = Callable[[], float]
Progress = Callable[[int, datetime | None], None]  # tweets so far, the oldest created_at reached


# --- the query and the client -----------------------------------------------------------------------------


def hashtag_query(hashtags: Sequence[str]) -> str:
    """The search query for a chat: its hashtags OR-ed, e.g. `(#ctqcollab OR #ctqchat)`."""
    tags = list(dict.fromkeys(t.strip().lstrip("#").lower() for t in hashtags if t.strip().lstrip("#")))
    if not tags:
        raise TwitterCaptureError("the chat has no hashtags to search for")
    bad = [t for t in tags if not re.fullmatch(r"\w+", t)]
    if bad:
        raise TwitterCaptureError(f"hashtag {bad[0]!r} cannot be searched on X (letters, digits and _ only)")
    joined = " OR ".join(f"#{t}" for t in tags)
    return f"({joined})" if len(tags) > 1 else joined


class _BearerRedaction(logging.Filter):
    """tweepy logs request headers at DEBUG level, bearer token included; blank the token out."""

    _BEARER = re.compile(r"(Bearer\s+)[^\s'\",}]+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "Bearer" in message:
            record.msg = self._BEARER.sub(r"\1[redacted]", message)
            record.args = None
        return True


def _install_redaction() -> None:
    tweepy_log = logging.getLogger("tweepy.client")
    if not any(isinstance(f, _BearerRedaction) for f in tweepy_log.filters):
        tweepy_log.addFilter(_BearerRedaction())


class _TimeoutAdapter(HTTPAdapter):
    """tweepy sends requests without a timeout; a silent server must not hang a capture forever."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = REQUEST_TIMEOUT
        return super().send(request, **kwargs)


def make_client(token: str | None, *, session: requests.Session | None = None) -> tweepy.Client:
    """A tweepy v2 Client that returns raw responses (the body text is what gets stored)."""
    if not token or not token.strip():
        raise TwitterCaptureError(
            f"no X bearer token: set {TOKEN_ENV} (or twitter_bearer_token in the config)"
        )
    _install_redaction()
    client = tweepy.Client(
        bearer_token=token.strip(), return_type=requests.Response, wait_on_rate_limit=False
    )
    if session is None:
        session = requests.Session()
        session.mount("https://", _TimeoutAdapter())
    client.session = session
    return client


# --- calling the API: rate limits, retries, errors ----------------------------------------------------------


def _api_detail(e: tweepy.HTTPException) -> str:
    messages = [str(m) for m in e.api_messages if m]
    detail = f"HTTP {e.response.status_code}"
    if messages:
        detail += ": " + "; ".join(messages)[:300]
    return " ".join(detail.split())


def _call(fn: Callable[[], Any], *, what: str, sleep: Sleep, clock: Clock, result: CaptureResult) -> Any:
    """Run one API request, waiting out rate limits and retrying transient failures."""
    waits = failures = 0
    while True:
        try:
            return fn()
        except tweepy.TooManyRequests as e:
            waits += 1
            if waits > MAX_RATE_LIMIT_WAITS:
                raise TwitterCaptureError(
                    f"X kept answering 429 Too Many Requests to {what}; try later"
                ) from None
            pause = 60.0 if e.reset_time is None else max(float(e.reset_time) - clock(), 0.0) + 1.0
            log.warning("X rate limit reached for %s: waiting %.0f s for it to reset", what, pause)
            result.rate_limit_waits.append(pause)
            sleep(pause)
        except tweepy.Unauthorized:
            raise TwitterCaptureError(
                f"X rejected the bearer token (HTTP 401 Unauthorized): set {TOKEN_ENV} to a valid token"
            ) from None
        except tweepy.Forbidden as e:
            raise TwitterCaptureError(
                f"X refused {what} ({_api_detail(e)}): the access level of the token in {TOKEN_ENV} "
                "may not include this endpoint"
            ) from None
        except tweepy.BadRequest as e:
            raise TwitterCaptureError(f"X rejected {what} ({_api_detail(e)})") from None
        except (tweepy.TwitterServerError, requests.ConnectionError, requests.Timeout) as e:
            failures += 1
            reason = _api_detail(e) if isinstance(e, tweepy.HTTPException) else type(e).__name__
            if failures >= MAX_RETRIES:
                raise TwitterCaptureError(f"X failed {failures} times on {what} ({reason})") from None
            pause = 2.0**failures
            log.warning("X failed on %s (%s): retrying in %.0f s", what, reason, pause)
            sleep(pause)
        except tweepy.HTTPException as e:
            raise TwitterCaptureError(f"X answered {what} with {_api_detail(e)}") from None


# --- reading a page ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageFacts:
    """What the collector needs to know about a page it stores (everything else is the warehouse's)."""

    ids: list[str]
    newest_id: str | None
    oldest_id: str | None
    newest_at: datetime | None
    oldest_at: datetime | None
    next_token: str | None
    tweets: list[dict[str, Any]]  # data and includes.tweets


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def page_facts(body: dict[str, Any]) -> PageFacts:
    """Ids, time span and tweets of one v2 response page (search or lookup)."""
    data = body.get("data") or []
    if isinstance(data, dict):
        data = [data]
    data = [t for t in data if isinstance(t, dict) and t.get("id")]
    ids = [str(t["id"]) for t in data]
    by_id = {str(t["id"]): t for t in data}
    newest = max(ids, key=int) if ids else None
    oldest = min(ids, key=int) if ids else None
    includes = body.get("includes") or {}
    included = [t for t in includes.get("tweets") or [] if isinstance(t, dict) and t.get("id")]
    return PageFacts(
        ids=ids,
        newest_id=newest,
        oldest_id=oldest,
        newest_at=_parse_time(by_id[newest].get("created_at")) if newest else None,
        oldest_at=_parse_time(by_id[oldest].get("created_at")) if oldest else None,
        next_token=(body.get("meta") or {}).get("next_token"),
        tweets=data + included,
    )


def _page_record(
    response: requests.Response, *, query: str, is_context: bool, now: Callable[[], datetime]
) -> tuple[RawRecord, PageFacts]:
    text = response.content.decode("utf-8")
    try:
        body = json.loads(text)
    except ValueError:
        raise TwitterCaptureError(f"X sent a response that is not JSON ({len(text)} bytes)") from None
    if not isinstance(body, dict):
        raise TwitterCaptureError("X sent a response that is not a JSON object")
    record = RawRecord(
        source=SOURCE,
        kind="page",
        origin=ORIGIN,
        payload=text,
        fetched_at=now(),
        query=query,
        is_context=is_context,
    )
    return record, page_facts(body)


def _newer(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return a if int(a) >= int(b) else b


def _older(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return a if int(a) <= int(b) else b


# --- capture -------------------------------------------------------------------------------------------------


def _search_pages(
    client: tweepy.Client,
    query: str,
    *,
    archive: bool,
    params: dict[str, Any],
    max_pages: int | None,
    sleep: Sleep,
    clock: Clock,
    result: CaptureResult,
) -> Iterator[requests.Response]:
    method = client.search_all_tweets if archive else client.search_recent_tweets
    kwargs = {k: v for k, v in params.items() if v is not None}
    pages = tweepy.Paginator(
        method, query, max_results=PAGE_SIZE, limit=max_pages or float("inf"), **FIELDS, **kwargs
    )
    # The iterator keeps its place when a request raises, so a rate-limited page is simply asked for again.
    it = iter(pages)
    what = "full-archive search" if archive else "recent search"
    while True:
        try:
            response = _call(lambda: next(it), what=what, sleep=sleep, clock=clock, result=result)
        except StopIteration:
            return
        yield response
        pause = exhausted_pause(response.headers, clock())
        if pause is not None and (_json_or_empty(response).get("meta") or {}).get("next_token"):
            # The window is used up and another page is due: wait now rather than be refused with a 429.
            log.warning("X rate limit used up for %s: waiting %.0f s for it to reset", what, pause)
            result.rate_limit_waits.append(pause)
            sleep(pause)


def exhausted_pause(headers: Any, now: float) -> float | None:
    """Seconds to wait before the next request when the response says the rate-limit window is used up."""
    remaining, reset = headers.get("x-rate-limit-remaining"), headers.get("x-rate-limit-reset")
    try:
        if remaining is None or reset is None or int(remaining) > 0:
            return None
        return max(float(reset) - now, 0.0) + 1.0
    except ValueError:
        return None


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _check_request(
    query: str, archive: bool, since: datetime | None, until: datetime | None, now: datetime
) -> None:
    limit = MAX_QUERY_LENGTH["archive" if archive else "recent"]
    if not query.strip():
        raise TwitterCaptureError("the search query is empty")
    if len(query) > limit:
        raise TwitterCaptureError(f"the search query is {len(query)} characters; X allows {limit}")
    if since is not None and until is not None and since >= until:
        raise TwitterCaptureError("--since must be before --until")
    if not archive and since is not None and since < now - RECENT_WINDOW + timedelta(minutes=1):
        raise TwitterCaptureError(
            "--since is more than 7 days ago: recent search only covers the last 7 days; use --archive"
        )


@dataclass
class _Run:
    """One capture run over one query: asks for pages and stores each with the checkpoint it may advance."""

    client: tweepy.Client
    sink: Sink
    query: str
    archive: bool
    max_pages: int | None
    sleep: Sleep
    clock: Clock
    now: Callable[[], datetime]
    progress: Progress | None
    keep_tweets: bool = False
    result: CaptureResult = field(default_factory=CaptureResult)
    tweets: list[dict[str, Any]] = field(default_factory=list)  # what --context looks at, only when asked for
    oldest_at: datetime | None = None

    def walk(
        self,
        params: dict[str, Any],
        checkpoint: Callable[[PageFacts, bool], Checkpoint | None],
        *,
        limited: bool = True,
    ) -> None:
        """Store every page of one search; `checkpoint(facts, is_last_page)` says what goes with each."""
        for response in _search_pages(
            self.client,
            self.query,
            archive=self.archive,
            params=params,
            max_pages=self.max_pages if limited else None,
            sleep=self.sleep,
            clock=self.clock,
            result=self.result,
        ):
            record, facts = _page_record(response, query=self.query, is_context=False, now=self.now)
            cp = checkpoint(facts, facts.next_token is None)
            if facts.ids:
                self.result.new_records += self.sink.write([record], [cp] if cp else [])
            elif cp is not None:
                self.sink.write([], [cp])
            self.result.pages += 1
            self.result.tweets += len(facts.ids)
            self.result.newest_id = _newer(self.result.newest_id, facts.newest_id)
            self.result.oldest_id = _older(self.result.oldest_id, facts.oldest_id)
            if self.keep_tweets:
                self.tweets.extend(facts.tweets)
            if facts.oldest_at is not None and (self.oldest_at is None or facts.oldest_at < self.oldest_at):
                self.oldest_at = facts.oldest_at
            if self.progress is not None:
                self.progress(self.result.tweets, self.oldest_at)

    def first_run(self, since: datetime | None, end_time: datetime | None) -> None:
        """Walk back from the end; every page carries the span [oldest so far, first tweet], all captured."""
        top: PageFacts | None = None
        bottom: str | None = None

        def checkpoint(facts: PageFacts, last: bool) -> Checkpoint | None:
            nonlocal top, bottom
            if not facts.ids:
                return None
            top = top or facts
            bottom = _older(bottom, facts.oldest_id)
            return Checkpoint(
                SOURCE, ORIGIN, self.query, newest_id=top.newest_id, oldest_id=bottom, newest_at=top.newest_at
            )

        self.walk({"start_time": since, "end_time": end_time}, checkpoint)

    def catch_up(self, since_id: str, end_time: datetime | None) -> None:
        """Newer tweets than the checkpoint's; `newest` moves with the last page only, so that a crash makes the
        next run read this stretch again rather than leave a gap in it (and --max-pages does not apply: a
        catch-up cut short would never move it)."""
        newest: tuple[str, datetime | None] | None = None

        def checkpoint(facts: PageFacts, last: bool) -> Checkpoint | None:
            nonlocal newest
            if facts.newest_id and (newest is None or int(facts.newest_id) > int(newest[0])):
                newest = (facts.newest_id, facts.newest_at)
            if not last or newest is None:
                return None
            return Checkpoint(SOURCE, ORIGIN, self.query, newest_id=newest[0], newest_at=newest[1])

        self.walk({"since_id": since_id, "end_time": end_time}, checkpoint, limited=False)

    def walk_back(self, until_id: str, since: datetime | None) -> None:
        """Older tweets than the checkpoint's, in case an earlier run stopped before --since (or the window)."""
        bottom = until_id

        def checkpoint(facts: PageFacts, last: bool) -> Checkpoint | None:
            nonlocal bottom
            if not facts.ids:
                return None
            bottom = _older(bottom, facts.oldest_id) or bottom
            return Checkpoint(SOURCE, ORIGIN, self.query, oldest_id=bottom)

        self.walk({"until_id": until_id, "start_time": since}, checkpoint)


def capture(
    client: tweepy.Client,
    sink: Sink,
    checkpoints: CheckpointStore,
    query: str,
    *,
    archive: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
    context: bool = False,
    known: Callable[[Sequence[str]], set[str]] | None = None,
    max_pages: int | None = None,
    backfill: bool = True,
    sleep: Sleep = time.sleep,
    clock: Clock = time.time,
    now: Callable[[], datetime] = utcnow,
    progress: Progress | None = None,
) -> CaptureResult:
    """Capture the tweets matching `query` into `sink`, resuming from the checkpoint (see the module doc).

    `known(ids)` says which of some tweet ids the archive already holds, so that --context skips them.
    `backfill=False` skips walking back from the oldest captured tweet (polls after the first in --follow).
    """
    run = _Run(client, sink, query, archive, max_pages, sleep, clock, now, progress, keep_tweets=context)
    try:
        _check_request(query, archive, since, until, now())
        # X wants end_time at least 10 s in the past; a later --until is the same as none.
        end_time = until if until is not None and until < now() - timedelta(seconds=30) else None
        cp = checkpoints.checkpoint(SOURCE, ORIGIN, query)
        if cp is None or (cp.newest_id is None and cp.oldest_id is None):
            run.first_run(since, end_time)
        else:
            if cp.newest_id is not None:
                run.catch_up(cp.newest_id, end_time)
            if cp.oldest_id is not None and backfill:
                run.walk_back(cp.oldest_id, since)
        if context:
            fetch_context(
                client,
                sink,
                run.tweets,
                query=query,
                known=known,
                sleep=sleep,
                clock=clock,
                now=now,
                result=run.result,
            )
    except TwitterCaptureError as e:
        sink.log(CaptureEvent(SOURCE, ORIGIN, query, posts=run.result.tweets, error=str(e)))
        raise
    sink.log(CaptureEvent(SOURCE, ORIGIN, query, posts=run.result.tweets + run.result.context_tweets))
    return run.result


def follow(
    client: tweepy.Client,
    sink: Sink,
    checkpoints: CheckpointStore,
    query: str,
    *,
    interval: float = 30.0,
    polls: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    context: bool = False,
    known: Callable[[Sequence[str]], set[str]] | None = None,
    sleep: Sleep = time.sleep,
    clock: Clock = time.time,
    now: Callable[[], datetime] = utcnow,
    progress: Progress | None = None,
) -> CaptureResult:
    """Poll recent search with since_id every `interval` seconds (filtered streaming needs a higher tier)."""
    total = CaptureResult()
    done = 0
    while not should_stop():
        run = capture(
            client,
            sink,
            checkpoints,
            query,
            context=context,
            known=known,
            backfill=done == 0,
            sleep=sleep,
            clock=clock,
            now=now,
            progress=progress,
        )
        total.pages += run.pages
        total.tweets += run.tweets
        total.new_records += run.new_records
        total.context_pages += run.context_pages
        total.context_tweets += run.context_tweets
        total.rate_limit_waits += run.rate_limit_waits
        total.newest_id = _newer(total.newest_id, run.newest_id)
        total.oldest_id = _older(total.oldest_id, run.oldest_id)
        done += 1
        if (polls is not None and done >= polls) or should_stop():
            break
        sleep(interval)
    return total


# --- thread context -----------------------------------------------------------------------------------------


def missing_parents(tweets: Iterable[dict[str, Any]], have: set[str]) -> list[str]:
    """Ids of tweets replied to that are neither among `tweets` nor in `have`, in first-seen order."""
    tweets = list(tweets)
    present = set(have) | {str(t["id"]) for t in tweets if t.get("id")}
    wanted: dict[str, None] = {}
    for t in tweets:
        for ref in t.get("referenced_tweets") or []:
            if isinstance(ref, dict) and ref.get("type") == "replied_to" and ref.get("id"):
                parent = str(ref["id"])
                if parent not in present:
                    wanted[parent] = None
    return list(wanted)


def fetch_context(
    client: tweepy.Client,
    sink: Sink,
    captured: Iterable[dict[str, Any]],
    *,
    query: str,
    known: Callable[[Sequence[str]], set[str]] | None = None,
    rounds: int = CONTEXT_ROUNDS,
    batch: int = LOOKUP_BATCH,
    sleep: Sleep = time.sleep,
    clock: Clock = time.time,
    now: Callable[[], datetime] = utcnow,
    result: CaptureResult | None = None,
) -> CaptureResult:
    """Look up, by id, the parents of captured replies that are missing, climbing reply chains; store the
    lookup pages as context (is_context, query 'context:<query>')."""
    result = result if result is not None else CaptureResult()
    tweets = list(captured)
    asked: set[str] = set()
    for _ in range(rounds):
        wanted = [i for i in missing_parents(tweets, asked) if i not in asked]
        if known is not None and wanted:
            archived = known(wanted)
            asked |= archived
            wanted = [i for i in wanted if i not in archived]
        if not wanted:
            break
        asked |= set(wanted)
        for start in range(0, len(wanted), batch):
            ids = wanted[start : start + batch]
            response = _call(
                lambda ids=ids: client.get_tweets(ids=ids, **FIELDS),
                what="tweet lookup",
                sleep=sleep,
                clock=clock,
                result=result,
            )
            record, facts = _page_record(response, query=f"context:{query}", is_context=True, now=now)
            # A lookup of deleted or protected tweets answers with `errors` only; keep it, it says so.
            result.new_records += sink.write([record])
            result.context_pages += 1
            result.context_tweets += len(facts.ids)
            tweets.extend(facts.tweets)
    return result
