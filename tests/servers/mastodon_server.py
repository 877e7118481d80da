"""A small Mastodon instance on 127.0.0.1 for capture tests, with faults on demand.

It serves what `tagtrail capture mastodon` asks for, the way Mastodon does: the hashtag timeline newest first
with `max_id`/`since_id`/`min_id`/`limit` and a Link header (`next` = max_id, `prev` = min_id), status context,
instance v1/v2 (optionally with `timelines_access.hashtag_feeds` restricted to logged-in users) and the hashtag
stream as server-sent events (`update`, `status.update`, `delete`, heartbeats).

Faults: `fail(path_prefix, reply…)` queues replies served instead of the real answer (a 429 with
X-RateLimit-Reset, a 500, a body that is not JSON); `drop_streams()` closes every open stream;
`stream_drop_after` closes a stream after that many events; `add_raw()` stores any JSON as a "status" (a
malformed one). Ids are Mastodon snowflakes (created_at in ms << 16), so a status fetched late (`post(…,
created_at=earlier)`) sorts behind newer ones as on a real instance. Every request is kept in `requests`.
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def json(obj: Any, status: int = 200, **headers: str) -> Reply:
        return Reply(status, json.dumps(obj).encode(), {k.replace("_", "-"): v for k, v in headers.items()})


@dataclass(frozen=True)
class Seen:
    path: str
    params: dict[str, str]
    authorized: bool


def snowflake(at: datetime, seq: int = 0) -> str:
    return str((int(at.timestamp() * 1000) << 16) + (seq & 0xFFFF))


class MastodonServer:
    def __init__(self, *, restricted: bool = False, token: str | None = None) -> None:
        self.restricted = restricted
        self.token = token
        self.statuses: dict[str, dict[str, Any]] = {}
        self.tags_of: dict[str, set[str]] = {}
        self.faults: list[tuple[str, Reply]] = []
        self.requests: list[Seen] = []
        self.stream_drop_after: int | None = None
        self._subscribers: list[tuple[str, queue.Queue[bytes | None]]] = []
        self._lock = threading.RLock()
        self._seq = itertools.count(1)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    # --- running -------------------------------------------------------------------------------------------
    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def start(self) -> MastodonServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.drop_streams()
        self._httpd.shutdown()
        self._httpd.server_close()

    @classmethod
    @contextmanager
    def running(cls, **kw: Any) -> Iterator[MastodonServer]:
        server = cls(**kw).start()
        try:
            yield server
        finally:
            server.stop()

    # --- content -------------------------------------------------------------------------------------------
    def account(
        self,
        username: str,
        *,
        remote: str | None = None,
        note: str = "",
        noindex: bool | None = False,
        discoverable: bool | None = True,
    ) -> dict[str, Any]:
        acct = f"{username}@{remote}" if remote else username
        host = remote or self.host
        acc: dict[str, Any] = {
            "id": str(abs(hash(acct)) % 10**12),
            "username": username,
            "acct": acct,
            "display_name": username.title(),
            "url": f"https://{host}/@{username}",
            "created_at": "2024-01-01T00:00:00.000Z",
            "bot": False,
            "note": note,
            "noindex": noindex,
            "discoverable": discoverable,
        }
        if noindex is None:
            del acc["noindex"]
        if discoverable is None:
            acc["discoverable"] = None
        return acc

    def post(
        self,
        text: str,
        *,
        tags: list[str],
        account: dict[str, Any] | None = None,
        created_at: datetime | None = None,
        visibility: str = "public",
        reply_to: dict[str, Any] | None = None,
        uri: str | None = None,
        push: bool = True,
    ) -> dict[str, Any]:
        """A status on this instance (or a remote one it knows: pass `uri` of the original)."""
        at = created_at or datetime.now(UTC)
        with self._lock:
            sid = snowflake(at, next(self._seq))
            account = account or self.account("ann")
            tag_html = " ".join(
                f'<a href="https://x/tags/{t}" class="hashtag">#<span>{t}</span></a>' for t in tags
            )
            status = {
                "id": sid,
                "uri": uri or f"https://{self.host}/users/{account['username']}/statuses/{sid}",
                "url": f"https://{self.host}/@{account['username']}/{sid}",
                "created_at": at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "edited_at": None,
                "account": account,
                "content": f"<p>{text} {tag_html}</p>",
                "visibility": visibility,
                "language": "en",
                "in_reply_to_id": reply_to["id"] if reply_to else None,
                "in_reply_to_account_id": reply_to["account"]["id"] if reply_to else None,
                "reblog": None,
                "tags": [{"name": t.lower(), "url": f"https://x/tags/{t}"} for t in tags],
                "mentions": [],
                "replies_count": 0,
                "reblogs_count": 0,
                "favourites_count": 0,
            }
            if reply_to:
                reply_to["replies_count"] += 1
            self.statuses[sid] = status
            self.tags_of[sid] = {t.lower() for t in tags}
        if push and visibility == "public":
            self._push(self.tags_of[sid], "update", json.dumps(status))
        return status

    def add_raw(self, obj: Any, *, tags: list[str], at: datetime | None = None) -> str:
        """Any JSON served as a status of the hashtag timeline (to test malformed statuses)."""
        with self._lock:
            sid = snowflake(at or datetime.now(UTC), next(self._seq))
            self.statuses[sid] = obj
            self.tags_of[sid] = {t.lower() for t in tags}
        return sid

    def edit(self, sid: str, text: str) -> dict[str, Any]:
        with self._lock:
            status = self.statuses[sid]
            status["content"] = f"<p>{text}</p>"
            status["edited_at"] = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self._push(self.tags_of[sid], "status.update", json.dumps(status))
        return status

    def delete(self, sid: str) -> None:
        with self._lock:
            self.statuses.pop(sid)
            tags = self.tags_of.pop(sid)
        self._push(tags, "delete", sid)

    def fail(self, path_prefix: str, *replies: Reply) -> None:
        """Serve these replies, in order, to the next requests whose path starts with path_prefix."""
        with self._lock:
            self.faults.extend((path_prefix, r) for r in replies)

    replay = fail  # recorded responses are served the same way

    def push(self, tag: str, event: str, data: str) -> None:
        """Send an event as it is to every stream of the hashtag."""
        self._push({tag.lower()}, event, data)

    def drop_streams(self) -> None:
        with self._lock:
            for _, q in self._subscribers:
                q.put(None)

    def streams_open(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def public_uris(self, tag: str) -> set[str]:
        with self._lock:
            return {
                s["uri"]
                for sid, s in self.statuses.items()
                if tag in self.tags_of[sid] and isinstance(s, dict) and s.get("visibility") == "public"
            }

    def _push(self, tags: set[str], event: str, data: str) -> None:
        chunk = f"event: {event}\ndata: {data}\n\n".encode()
        with self._lock:
            for tag, q in self._subscribers:
                if tag in tags:
                    q.put(chunk)

    # --- answering -----------------------------------------------------------------------------------------
    def _timeline(self, tag: str, params: dict[str, str]) -> tuple[list[Any], dict[str, str]]:
        limit = min(int(params.get("limit", 20)), 40)
        with self._lock:
            ids = sorted((int(i) for i, t in self.tags_of.items() if tag in t), reverse=True)
            ids = [i for i in ids if _public(self.statuses[str(i)])]
            if "max_id" in params:
                ids = [i for i in ids if i < int(params["max_id"])]
            if "since_id" in params:
                ids = [i for i in ids if i > int(params["since_id"])]
            if "min_id" in params:
                ids = sorted(i for i in ids if i > int(params["min_id"]))[:limit][::-1]
            ids = ids[:limit]
            page = [self.statuses[str(i)] for i in ids]
        headers = {}
        if ids:
            base = f"{self.base_url}/api/v1/timelines/tag/{tag}"
            nxt = urlencode({"limit": limit, "max_id": ids[-1]})
            prev = urlencode({"limit": limit, "min_id": ids[0]})
            headers["Link"] = f'<{base}?{nxt}>; rel="next", <{base}?{prev}>; rel="prev"'
        return page, headers

    def _context(self, sid: str) -> dict[str, list[Any]]:
        with self._lock:
            ancestors = []
            cur = self.statuses[sid]
            while cur.get("in_reply_to_id") and cur["in_reply_to_id"] in self.statuses:
                cur = self.statuses[cur["in_reply_to_id"]]
                ancestors.insert(0, cur)
            descendants = []
            frontier = [sid]
            while frontier:
                parent = frontier.pop(0)
                kids = [
                    s
                    for s in self.statuses.values()
                    if isinstance(s, dict) and s.get("in_reply_to_id") == parent
                ]
                descendants.extend(kids)
                frontier.extend(k["id"] for k in kids)
        return {"ancestors": ancestors, "descendants": descendants}

    def _instance_v2(self) -> dict[str, Any]:
        access = "authenticated" if self.restricted else "public"
        return {
            "domain": self.host,
            "title": "tagtrail test instance",
            "version": "4.5.0",
            "configuration": {
                "timelines_access": {
                    "live_feeds": {"local": access, "remote": access},
                    "hashtag_feeds": {"local": access, "remote": access},
                    "trending_link_feeds": {"local": "public", "remote": "public"},
                }
            },
        }

    def _stream(self, tag: str) -> queue.Queue[bytes | None]:
        q: queue.Queue[bytes | None] = queue.Queue()
        with self._lock:
            self._subscribers.append((tag, q))
        return q

    def _unsubscribe(self, q: queue.Queue[bytes | None]) -> None:
        with self._lock:
            self._subscribers = [(t, x) for t, x in self._subscribers if x is not q]


def _handler(server: MastodonServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, reply: Reply) -> None:
            self.send_response(reply.status)
            headers = {"Content-Type": "application/json; charset=utf-8", **reply.headers}
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            path = parts.path.rstrip("/")
            params = {k: v[0] for k, v in parse_qs(parts.query).items()}
            auth = self.headers.get("Authorization")
            authorized = server.token is not None and auth == f"Bearer {server.token}"
            server.requests.append(Seen(path, params, authorized))
            with server._lock:
                fault = next((f for f in server.faults if path.startswith(f[0])), None)
                if fault is not None:
                    server.faults.remove(fault)
            if fault is not None:
                self._send(fault[1])
                return
            if path.startswith("/api/v1/timelines/tag/"):
                if server.restricted and not authorized:
                    self._send(Reply.json({"error": "This method requires an authenticated user"}, 422))
                    return
                page, headers = server._timeline(path.rsplit("/", 1)[1].lower(), params)
                self._send(Reply(200, json.dumps(page).encode(), headers))
            elif path.startswith("/api/v1/statuses/") and path.endswith("/context"):
                sid = path.split("/")[4]
                if sid not in server.statuses:
                    self._send(Reply.json({"error": "Record not found"}, 404))
                else:
                    self._send(Reply.json(server._context(sid)))
            elif path == "/api/v2/instance":
                self._send(Reply.json(server._instance_v2()))
            elif path == "/api/v1/instance":
                self._send(
                    Reply.json({"uri": server.host, "title": "tagtrail test instance", "version": "4.5.0"})
                )
            elif path == "/api/v1/streaming/hashtag":
                self._serve_stream(params.get("tag", "").lower())
            else:
                self._send(Reply.json({"error": "Record not found"}, 404))

        def _serve_stream(self, tag: str) -> None:
            if server.restricted and self.headers.get("Authorization") != f"Bearer {server.token}":
                self._send(Reply.json({"error": "Streaming requires authentication"}, 401))
                return
            q = server._stream(tag)
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.wfile.write(b":)\n\n")
                self.wfile.flush()
                sent = 0
                while True:
                    try:
                        chunk = q.get(timeout=0.2)
                    except queue.Empty:
                        chunk = b":thump\n\n"
                    else:
                        if chunk is None:
                            return
                        sent += 1
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    if server.stream_drop_after is not None and sent >= server.stream_drop_after:
                        return
            except OSError:
                return
            finally:
                server._unsubscribe(q)

    return Handler


def _public(status: Any) -> bool:
    return not isinstance(status, dict) or status.get("visibility", "public") == "public"


def minutes_ago(n: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=n)
