"""Per-request plumbing as pure ASGI middleware.

A single `@app.middleware("http")` (BaseHTTPMiddleware) cut throughput to a third on this
machine, so everything that wraps every request is written against raw ASGI.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
import weakref
from collections.abc import AsyncIterator, Container, Mapping
from contextlib import asynccontextmanager

import structlog
from prometheus_client import Counter, Histogram
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


def _request_id(scope: Scope) -> str:
    """The client's, if sane; else 128 random bits as 32 hex digits, as `uuid4().hex` was,
    without its system call per request (6 % of a served comment's CPU): Python's generator,
    seeded by the OS at start and again in a forked worker. Unique, not secret."""
    text = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
    return text if _ACCEPTABLE_REQUEST_ID.match(text) else f"{random.getrandbits(128):032x}"


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
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        raw_id = request_id.encode("latin-1")
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status, response_started = 500, False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", raw_id)]
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


def _is_streamed(scope: Scope, paths: Container[str]) -> bool:
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


class _BodyRefused(Exception):
    """Raised from `receive` to stop the app reading a body that is too large or too slow."""


def _content_length(scope: Scope) -> int | None:
    value: bytes = dict(scope["headers"]).get(b"content-length", b"")
    return int(value) if value.isdigit() else None


def _bodiless(scope: Scope) -> bool:
    """Neither a Content-Length above 0 nor a Transfer-Encoding: HTTP/1.1 sends no body."""
    return not _content_length(scope) and b"transfer-encoding" not in dict(scope["headers"])


class BodyLimitMiddleware:
    """Refuses a request body over `max_bytes` with a 413 problem, and one that has not
    arrived within `seconds` of the app's first read of it with a 408 `request_timeout`.

    A declared Content-Length over the limit is refused before the app runs; a chunked body
    is counted as it arrives. uvicorn waits for a body as long as the client likes: a client
    that stalls, or sends a byte now and then, would hold its connection, and on a write its
    place in the admission's queues, for ever. Only the body is timed: once it is complete,
    the app may wait on `receive` (for a disconnect) as long as it likes. Once a body is
    refused, whatever the app was about to answer (FastAPI turns a failed body read into a
    400) is replaced by the refusal.

    A streamed path (`streamed_limits`: path -> bytes, for `POST`; a media upload of hundreds
    of MiB from a phone takes minutes) has its own limit, and is timed piece by piece: each
    read of its body must bring data within `seconds`, however long the whole takes.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        seconds: float,
        streamed_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.seconds = seconds
        self.streamed_limits = dict(streamed_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _bodiless(scope):  # nothing to count or wait for
            await self.app(scope, receive, send)
            return
        streamed = _is_streamed(scope, self.streamed_limits)
        max_bytes = self.streamed_limits[scope["path"]] if streamed else self.max_bytes
        length = _content_length(scope)
        if length is not None and length > max_bytes:
            await body_too_large_response(scope)(scope, receive, send)
            return
        received, deadline, complete = 0, 0.0, False
        refusal: ASGIApp | None = None  # the answer, once the body is refused
        refused = False

        async def guarded_receive() -> Message:
            nonlocal received, deadline, complete, refusal
            if complete:
                return await receive()
            loop = asyncio.get_running_loop()
            if streamed or not deadline:
                deadline = loop.time() + self.seconds
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                refusal = body_too_slow_response(scope, self.seconds)
                raise _BodyRefused from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    refusal = body_too_large_response(scope)
                    raise _BodyRefused
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal refused
            if refusal is None:
                await send(message)
            elif not refused:
                refused = True
                await refusal(scope, receive, send)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except _BodyRefused:
            if not refused and refusal is not None:
                await refusal(scope, receive, send)


class AdmissionMiddleware:
    """Lets at most `limit` requests into the app at once; the others wait here, in order.

    A request keeps its database connection across its hops to the worker-thread pool
    (dependencies, handler, commit). With more requests in flight than connections, threads
    can all be waiting for connections held by requests that wait for a thread: a stall
    until the pool times out. With at most `limit` requests in flight, and threads and
    connections for each (`Settings.worker_threads`, checked against the pool size), every
    request admitted can always finish. Fewer requests fighting for the GIL also serve more
    per second than many: a waiting request costs nothing here.

    With `serialize_writes` (SQLite), write requests first wait here for one another: one
    at a time per process. SQLite allows one writer at a time anyway; each write request
    takes the write lock at its first query (BEGIN IMMEDIATE) and runs in several hops to
    the worker-thread pool. With more concurrent writers than threads, every thread could be
    blocked waiting for the lock while its holder waits for a free thread to finish: a stall
    that ends in timeouts. Queued here, before they take a place or a thread, they cost
    nothing SQLite would not serialise itself. PostgreSQL needs none of this (row locks,
    `lock_timeout`).

    A write's body is read before it queues, so that a slow upload never holds a place or
    the queue; a streamed one is let through unread, and takes its turn for its writes
    (`write_turn`).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        serialize_writes: bool = False,
        streamed_paths: frozenset[str] = frozenset(),
        long_lived_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.limit = limit
        self.serialize_writes = serialize_writes
        self.streamed_paths = streamed_paths
        # GETs that stay open (the notification stream): let through without a place; they
        # hold no connection while open and read in short sessions of their own.
        self.long_lived_paths = long_lived_paths
        # The places and the write lock of each event loop: tests run one app on several.
        self._queues: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[asyncio.Semaphore, asyncio.Lock | None]
        ] = weakref.WeakKeyDictionary()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if scope["type"] != "http" or (method == "GET" and scope["path"] in self.long_lived_paths):
            await self.app(scope, receive, send)
            return
        places, write_lock = self._queues_of(asyncio.get_running_loop())
        if method in SAFE_METHODS:
            async with places:
                await self.app(scope, receive, send)
        elif _is_streamed(scope, self.streamed_paths):
            scope.setdefault("state", {}).update({_ADMISSION: places, _WRITE_LOCK: write_lock})
            await self.app(scope, receive, send)
        else:
            receive = _replaying(await _read_body(receive), receive)
            async with write_lock or _nothing(), places:
                await self.app(scope, receive, send)

    def _queues_of(
        self, loop: asyncio.AbstractEventLoop
    ) -> tuple[asyncio.Semaphore, asyncio.Lock | None]:
        queues = self._queues.get(loop)
        if queues is None:
            lock = asyncio.Lock() if self.serialize_writes else None
            queues = self._queues[loop] = (asyncio.Semaphore(self.limit), lock)
        return queues


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
