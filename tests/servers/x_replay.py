"""A stand-in for the X API v2 on 127.0.0.1 that replays recorded responses, for tests that drive tweepy for real.

- Recorded responses come from vcrpy cassettes (../shared/fixtures/real/twitter/*.yaml). vcrpy keeps a gzip body
  as base64 (`!!binary`) next to its `content-encoding: gzip` header; the replay decodes it and serves it plain.
- Scripted responses (a further page for `next_token`, a 429 with `x-rate-limit-reset`, a 401) are queued per
  path with an optional match on the query parameters.
- `session()` gives a requests.Session whose transport sends https://api.twitter.com and https://api.x.com to
  this server; it is assigned to `tweepy.Client.session`, so tweepy's own request code runs unchanged.
Every request is recorded (path, parameters, whether the bearer token matched) for the test to inspect.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import requests
import yaml
from requests.adapters import HTTPAdapter

from tests.conftest import SHARED_FIXTURES

FIXTURES = SHARED_FIXTURES / "twitter"
_PASSED_HEADERS = (
    "content-type",
    "x-rate-limit-limit",
    "x-rate-limit-remaining",
    "x-rate-limit-reset",
    "date",
)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(
        default_factory=lambda: {"content-type": "application/json; charset=utf-8"}
    )

    @staticmethod
    def json(obj: Any, status: int = 200, **headers: str) -> Reply:
        hdrs = {"content-type": "application/json; charset=utf-8"}
        hdrs.update({k.replace("_", "-"): v for k, v in headers.items()})
        return Reply(status, json.dumps(obj).encode(), hdrs)


@dataclass(frozen=True)
class Recorded:
    """One recorded interaction of a cassette, its body decoded."""

    method: str
    uri: str
    reply: Reply

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.uri).query)

    def body_json(self) -> Any:
        return json.loads(self.reply.body)


def load_cassette(path: Path) -> list[Recorded]:
    """The interactions of a vcrpy YAML cassette, with gzip bodies decompressed."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for it in doc["interactions"]:
        resp = it["response"]
        headers = {
            k.lower(): (v[0] if isinstance(v, list) else v) for k, v in (resp.get("headers") or {}).items()
        }
        body = resp["body"]["string"]
        if isinstance(body, str):
            body = body.encode("utf-8")
        if headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        kept = {k: str(v) for k, v in headers.items() if k in _PASSED_HEADERS}
        out.append(
            Recorded(it["request"]["method"], it["request"]["uri"], Reply(resp["status"]["code"], body, kept))
        )
    return out


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    params: dict[str, list[str]]
    authorized: bool

    def param(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[0] if values else None


Responder = Callable[[Seen], Reply | None]


class XReplay:
    """The server; use `with XReplay.running(...) as x:`."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.seen: list[Seen] = []
        self._routes: list[tuple[str, Callable[[dict[str, list[str]]], bool], list[Reply]]] = []
        self._responders: list[tuple[str, Responder]] = []
        self._lock = threading.Lock()
        self.url = ""

    # --- what to answer ---------------------------------------------------------------------------------------
    def queue(self, path: str, *replies: Reply, when: dict[str, str] | None = None) -> None:
        """Answer the next requests to `path` whose parameters include `when` with `replies`, in order."""
        expected = dict(when or {})

        def match(params: dict[str, list[str]]) -> bool:
            return all(params.get(k, [None])[0] == v for k, v in expected.items())

        with self._lock:
            self._routes.append((path, match, list(replies)))

    def replay(self, recorded: Recorded, *, when: dict[str, str] | None = None) -> None:
        """Answer the recorded request's path with its recorded response."""
        self.queue(recorded.path, recorded.reply, when=when)

    def respond(self, path: str, responder: Responder) -> None:
        """Answer every request to `path` (not matched by a queued reply) with `responder(request)`."""
        with self._lock:
            self._responders.append((path, responder))

    def _answer(self, seen: Seen) -> Reply:
        if not seen.authorized:
            return Reply.json(
                {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}, 401
            )
        with self._lock:
            for path, match, replies in self._routes:
                if path == seen.path and replies and match(seen.params):
                    return replies.pop(0)
            responders = [r for p, r in self._responders if p == seen.path]
        for responder in responders:
            reply = responder(seen)
            if reply is not None:
                return reply
        return Reply.json(
            {"title": "Not Found Error", "detail": f"no replay for {seen.path}", "status": 404}, 404
        )

    def pending(self) -> int:
        with self._lock:
            return sum(len(r) for _, _, r in self._routes)

    # --- serving ----------------------------------------------------------------------------------------------
    @classmethod
    @contextmanager
    def running(cls, token: str = "test-bearer-token") -> Iterator[XReplay]:
        replay = cls(token)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                parts = urlsplit(self.path)
                seen = Seen(
                    "GET",
                    parts.path,
                    parse_qs(parts.query),
                    self.headers.get("Authorization") == f"Bearer {replay.token}",
                )
                with replay._lock:
                    replay.seen.append(seen)
                reply = replay._answer(seen)
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        replay.url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield replay
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    def session(self) -> requests.Session:
        """A requests.Session that sends the X API hosts to this server (for tweepy.Client.session)."""
        session = requests.Session()
        adapter = _Redirect(self.url)
        session.mount("https://api.twitter.com", adapter)
        session.mount("https://api.x.com", adapter)
        return session


class _Redirect(HTTPAdapter):
    """Rewrites the scheme and host of each request to the replay server's; path and query stay."""

    def __init__(self, base: str) -> None:
        super().__init__(max_retries=0)
        self._base = urlsplit(base)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        request.url = urlunsplit((self._base.scheme, self._base.netloc, parts.path, parts.query, ""))
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = 10
        return super().send(request, **kwargs)
