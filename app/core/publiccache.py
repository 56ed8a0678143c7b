"""A short-lived in-process cache of public, rarely changing anonymous responses.

The showcase and a closed challenge's results change only when a challenge closes or an
organizer moderates a work, yet crawlers and visitors fetch them constantly. For anonymous
GETs of those paths this pure-ASGI middleware keeps the 200 response (body, ETag) for
`ttl` seconds and answers repeats before routing, dependency injection or the database:
`If-None-Match` with the current ETag gets a 304, anything else the stored bytes. Responses
carry `Cache-Control: public, max-age=<ttl>` so browsers and CDNs revalidate on the same
clock. A change is therefore visible within `ttl` seconds (and immediately to members:
requests with credentials are never cached). Each process keeps its own cache: nothing
needs sharing, a stale entry only lives `ttl` seconds.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Paths (below the API prefix) whose anonymous 200s may be cached. Query strings are part
# of the key, so each page and filter is its own entry.
CACHEABLE = re.compile(r"^/api/v1/(showcase|challenges/\d+/results)$")
MAX_ENTRIES = 512  # bounded: random query strings cannot grow memory


@dataclass(frozen=True)
class _Entry:
    body: bytes
    etag: bytes
    content_type: bytes
    expires: float


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _anonymous(scope: Scope) -> bool:
    return _header(scope, b"authorization") is None and _header(scope, b"cookie") is None


def _matches(if_none_match: bytes, etag: bytes) -> bool:
    return any(tag.strip().removeprefix(b"W/") in (etag, b"*") for tag in if_none_match.split(b","))


class PublicCacheMiddleware:
    def __init__(self, app: ASGIApp, *, ttl: float) -> None:
        self.app = app
        self.ttl = ttl
        self.max_age = str(int(ttl)).encode()
        self.entries: OrderedDict[tuple[str, bytes], _Entry] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not CACHEABLE.match(scope["path"])
            or not _anonymous(scope)
        ):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        entry = self.entries.get(key)
        if entry is not None and entry.expires > time.monotonic():
            await self._replay(scope, entry, send)
            return
        await self.app(scope, receive, self._recording(key, send))

    def _cache_headers(self, etag: bytes) -> list[tuple[bytes, bytes]]:
        return [(b"etag", etag), (b"cache-control", b"public, max-age=" + self.max_age)]

    async def _replay(self, scope: Scope, entry: _Entry, send: Send) -> None:
        if_none_match = _header(scope, b"if-none-match")
        if if_none_match is not None and _matches(if_none_match, entry.etag):
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": self._cache_headers(entry.etag),
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        headers = [
            (b"content-type", entry.content_type),
            (b"content-length", str(len(entry.body)).encode()),
            *self._cache_headers(entry.etag),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": entry.body})

    def _recording(self, key: tuple[str, bytes], send: Send) -> Send:
        """Passes the response through, adding Cache-Control to a 200 and storing it."""
        started: dict[str, object] = {}
        chunks: list[bytes] = []

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
                if message["status"] == 200:
                    headers = [(k, v) for k, v in message["headers"] if k != b"cache-control"]
                    headers.append((b"cache-control", b"public, max-age=" + self.max_age))
                    message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and started.get("status") == 200:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._store(key, started, b"".join(chunks))
            await send(message)

        return recording_send

    def _store(self, key: tuple[str, bytes], started: dict[str, object], body: bytes) -> None:
        raw = started.get("headers", [])
        headers = dict(raw) if isinstance(raw, list) else {}
        etag, content_type = headers.get(b"etag"), headers.get(b"content-type")
        if etag is None or content_type is None:
            return  # only responses that can be revalidated
        self.entries[key] = _Entry(body, etag, content_type, time.monotonic() + self.ttl)
        self.entries.move_to_end(key)
        while len(self.entries) > MAX_ENTRIES:
            self.entries.popitem(last=False)
