"""Per-request plumbing as pure ASGI middleware.

A single `@app.middleware("http")` (BaseHTTPMiddleware) cut throughput to a third on this
machine, so everything that wraps every request is written against raw ASGI.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import structlog
from prometheus_client import Counter, Histogram
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.db import SAFE_METHODS
from app.core.errors import body_too_large_response, body_too_slow_response, internal_error_response

REQUEST_ID_HEADER = "x-request-id"
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

REQUESTS = Counter(
    "sanggar_http_requests_total", "HTTP requests served.", ["method", "route", "status"]
)
LATENCY = Histogram(
    "sanggar_http_request_duration_seconds",
    "Time to serve an HTTP request.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

access_log = structlog.get_logger("sanggar.access")
_ACCESS_LEVEL = logging.getLogger("sanggar.access")  # what structlog's level filter asks


def _incoming_request_id(scope: Scope) -> str | None:
    text = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
    return text if _ACCEPTABLE_REQUEST_ID.match(text) else None


class RequestContextMiddleware:
    """Gives every request an `X-Request-ID`, writes the access log line and the metrics.

    `route_templates` maps each route (by id) to its full path template: a route inside an included
    router only knows the part of its path below the router's prefix.
    """

    def __init__(self, app: ASGIApp, *, route_templates: Mapping[int, str]) -> None:
        self.app = app
        self.route_templates = route_templates
        # The metric children of each (method, route, status): `labels()` looks them up
        # through a lock and a validation every time. Bounded like the metric's own labels.
        self._metrics: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def _route_template(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is None:
            # Unmatched paths are grouped so random URLs cannot blow up the metric's cardinality.
            return "<unmatched>"
        template = self.route_templates.get(id(route)) or getattr(route, "path", None)
        return str(template or "<unknown>")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status, response_started = 500, False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                MutableHeaders(scope=message).append("X-Request-ID", request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            # Caught here rather than in Starlette's ServerErrorMiddleware so that the 500
            # is still problem+json and still carries the request id.
            access_log.exception("unhandled_error", path=scope["path"])
            if response_started:
                raise
            await internal_error_response(scope)(scope, receive, send_with_request_id)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope["method"]
        route = self._route_template(scope)
        key = (method, route, status)
        metrics = self._metrics.get(key)
        if metrics is None:
            metrics = REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route)
            self._metrics[key] = metrics
        metrics[0].inc()
        metrics[1].observe(seconds)
        if _ACCESS_LEVEL.isEnabledFor(logging.INFO):  # below it (WARNING), not even its fields
            access_log.info(
                "request",
                method=method,
                path=scope["path"],
                route=route,
                status=status,
                duration_ms=round(seconds * 1000, 2),
                client=(scope.get("client") or ("-",))[0],
            )


# Requests whose body the app reads as it arrives (media uploads, `POST` to one of the paths
# given to the middlewares as `streamed_paths`): neither the admission nor the SQLite write
# queue reads their body first, and neither holds them; the handler takes its turn for its
# database writes itself (`write_turn`), once the body is in. Their body limit is their own.
_WRITE_LOCK = "sanggar_write_lock"
_ADMISSION = "sanggar_admission"


def _is_streamed(scope: Scope, paths: frozenset[str]) -> bool:
    return scope["method"] == "POST" and scope["path"] in paths


@asynccontextmanager
async def write_turn(scope: Scope) -> AsyncIterator[None]:
    """For a streamed request's database writes: its turn in the SQLite write queue, then a
    place among the requests admitted, as a buffered write request gets them before its
    handler runs. Either is skipped when that middleware is not installed."""
    state = scope.get("state", {})
    lock: asyncio.Lock | None = state.get(_WRITE_LOCK)
    places: asyncio.Semaphore | None = state.get(_ADMISSION)
    async with lock or _nothing(), places or _nothing():
        yield


@asynccontextmanager
async def _nothing() -> AsyncIterator[None]:
    yield


class _BodyTooLarge(Exception):
    """Raised from `receive` to stop the app reading a body past the limit."""


def _content_length(scope: Scope) -> int | None:
    value: bytes = dict(scope["headers"]).get(b"content-length", b"")
    return int(value) if value.isdigit() else None


def _bodiless(scope: Scope) -> bool:
    """Neither a Content-Length above 0 nor a Transfer-Encoding: HTTP/1.1 sends no body."""
    return not _content_length(scope) and b"transfer-encoding" not in dict(scope["headers"])


class BodyLimitMiddleware:
    """Refuses request bodies over the limit with a 413 problem, chunked bodies included.

    A declared Content-Length over the limit is refused before the app runs. A chunked body
    is counted as it arrives; once it passes the limit, whatever the app was about to answer
    (FastAPI turns a failed body read into a 400) is replaced by the 413. A streamed path
    (`streamed_limits`: path -> bytes, for `POST`) has its own limit instead.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, streamed_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.streamed_limits = dict(streamed_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _bodiless(scope):  # nothing to count
            await self.app(scope, receive, send)
            return
        max_bytes = self.max_bytes
        if scope["method"] == "POST":
            max_bytes = self.streamed_limits.get(scope["path"], max_bytes)
        length = _content_length(scope)
        if length is not None and length > max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        exceeded = refused = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal refused
            if not exceeded:
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(scope, receive, send)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyTooLarge:
            if not refused:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await body_too_large_response(scope)(scope, receive, send)


class _BodyTooSlow(Exception):
    """Raised from `receive` to stop the app waiting for a body that does not come."""


class BodyTimeoutMiddleware:
    """Answers 408 `request_timeout` when a request's body has not arrived within `seconds`
    of the app's first read of it.

    uvicorn waits for a body as long as the client likes: a client that stalls, or sends a
    byte now and then, would hold its connection, and on a write its place in the queue of
    SerializedWritesMiddleware, for ever. Only the body is timed: once it is complete, the app
    may wait on `receive` (for a disconnect) as long as it likes. As with the body limit,
    whatever the app was about to answer a body it could not read is replaced by the 408.

    A streamed path (a media upload of hundreds of MiB from a phone takes minutes) is timed
    piece by piece instead: each read of its body must bring data within `seconds`, however
    long the whole takes; its size limit bounds the whole.
    """

    def __init__(
        self, app: ASGIApp, *, seconds: float, streamed_paths: frozenset[str] = frozenset()
    ) -> None:
        self.app = app
        self.seconds = seconds
        self.streamed_paths = streamed_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _bodiless(scope):  # nothing to wait for
            await self.app(scope, receive, send)
            return
        deadline: float | None = None
        complete = timed_out = refused = False
        piecewise = _is_streamed(scope, self.streamed_paths)

        async def timed_receive() -> Message:
            nonlocal deadline, complete, timed_out
            if complete:
                return await receive()
            loop = asyncio.get_running_loop()
            if piecewise:
                deadline = None
            deadline = deadline or loop.time() + self.seconds
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                timed_out = True
                raise _BodyTooSlow from None
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal refused
            if not timed_out:
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(scope, receive, send)

        try:
            await self.app(scope, timed_receive, guarded_send)
        except _BodyTooSlow:
            if not refused:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await body_too_slow_response(scope, self.seconds)(scope, receive, send)


class AdmissionMiddleware:
    """Lets at most `limit` requests into the app at once; the others wait here, in order.

    A request keeps its database connection across its hops to the worker-thread pool
    (dependencies, handler, commit). With more requests in flight than connections, threads
    can all be waiting for connections held by requests that wait for a thread: a stall
    until the pool times out. With at most `limit` requests in flight, and threads and
    connections for each (`Settings.worker_threads`, checked against the pool size), every
    request admitted can always finish. Fewer requests fighting for the GIL also serve more
    per second than many: a waiting request costs nothing here. The body is read before
    admission so that a slow upload never holds a place; a streamed one is let through
    unread, and takes its place for its writes (`write_turn`).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        streamed_paths: frozenset[str] = frozenset(),
        long_lived_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.limit = limit
        self.streamed_paths = streamed_paths
        # GETs that stay open (the notification stream): let through without a place; they
        # hold no connection while open and read in short sessions of their own.
        self.long_lived_paths = long_lived_paths
        # One semaphore per event loop: tests run one app on several loops.
        self._places: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        places = self._places.get(loop)
        if places is None:
            places = self._places[loop] = asyncio.Semaphore(self.limit)
        if scope["method"] == "GET" and scope["path"] in self.long_lived_paths:
            await self.app(scope, receive, send)
            return
        if _is_streamed(scope, self.streamed_paths):
            scope.setdefault("state", {})[_ADMISSION] = places
            await self.app(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS:
            receive = _replaying(await _read_body(receive), receive)
        async with places:
            await self.app(scope, receive, send)


class SerializedWritesMiddleware:
    """On SQLite, lets one write request at a time into the app (per process).

    SQLite allows one writer at a time anyway; each write request takes the write lock at its
    first query (BEGIN IMMEDIATE) and runs its dependencies and handler in several hops to the
    worker-thread pool. With more concurrent writers than threads, every thread could be
    blocked waiting for the lock while its holder waits for a free thread to finish: a stall
    that ends in timeouts. Queuing writers here, before they take a thread, removes the stall
    and costs nothing SQLite would not serialise itself. The body is read first so that a slow
    upload never holds the queue up; a streamed one is let through unread, and takes its turn
    for its writes (`write_turn`). PostgreSQL needs none of this (row locks, `lock_timeout`).
    """

    def __init__(self, app: ASGIApp, *, streamed_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.streamed_paths = streamed_paths
        # One lock per event loop: tests run one app on several loops.
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        lock = self._locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        if _is_streamed(scope, self.streamed_paths):
            scope.setdefault("state", {})[_WRITE_LOCK] = lock
            await self.app(scope, receive, send)
            return
        buffered = await _read_body(receive)
        async with lock:
            await self.app(scope, _replaying(buffered, receive), send)


async def _read_body(receive: Receive) -> list[Message]:
    """Every message of the request body (the body limit outside this bounds its size)."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
