"""The application factory: settings → engine → middleware, error handlers, routers."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from typing import Any

import structlog
from anyio import to_thread
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import __doc__ as app_doc
from app import wiring  # noqa: F401 - registers every domain-event subscriber and periodic job
from app.api import include_api
from app.core import periodic
from app.core.config import Settings, get_settings
from app.core.cors import RefuseStrangerPreflights
from app.core.db import create_db_engine, read_only
from app.core.errors import install_error_handlers
from app.core.idempotency import IdempotentReplay, replay_handler
from app.core.logging import configure_logging
from app.core.middleware import (
    AdmissionMiddleware,
    BodyLimitMiddleware,
    RequestContextMiddleware,
)
from app.core.openapi import api_routes, install_openapi
from app.core.publiccache import PublicCacheMiddleware
from app.core.ratelimit import Limiter, RateLimitMiddleware
from app.core.redoc import router as redoc_router
from app.core.routing import PrefixRouting
from app.core.security_headers import SecurityHeadersMiddleware
from app.media.router import UPLOAD_PATH
from app.media.uploading import upload_body_limit
from app.members import service as members
from app.notifications.live import LiveHub
from app.notifications.router import STREAM_PATH
from app.ops.router import router as ops_router
from app.ops.serving import serving
from app.principal.broadcast import PrincipalBroadcast
from app.principal.cache import PrincipalCache
from app.principal.polling import PrincipalChangesPoll
from app.principal.usage import TokenUses
from app.problems.router import router as problems_router
from app.readmodels import KeptConnections

log = structlog.get_logger("sanggar")

DESCRIPTION = """
The backend of a creative community: members, events, challenges with voting, projects,
mentoring, conversation, recognition and analytics.

* **Auth**: log in with *Authorize* (password flow) or send a personal access token
  (`Authorization: Bearer sgr_pat_…`).
* **Errors** are RFC 9457 `application/problem+json` with a machine-readable `code`.
* **Lists** use cursor pagination: `limit` (1–100) and `cursor` from `next_cursor`.
* **Concurrency**: single resources carry an `ETag`; send it as `If-Match` on `PATCH`.
* **Retries**: creating `POST`s accept an `Idempotency-Key` header.
"""

TAGS = [
    {"name": "auth", "description": "Registration, log-in and tokens."},
    {
        "name": "accounts",
        "description": "An account's life: password change and reset, log-ins, export, leaving.",
    },
    {
        "name": "members",
        "description": "Profiles, the member directory and personal access tokens.",
    },
    {"name": "invitations", "description": "Invitation codes for invite-only registration."},
    {
        "name": "media",
        "description": "Uploaded files (images, audio, video, PDF): uploads streamed to "
        "storage, processing, variants, the bytes.",
    },
    {"name": "notifications", "description": "The in-app notification feed."},
    {
        "name": "mail",
        "description": "One-click unsubscribe from notification and digest mails (RFC 8058).",
    },
    {
        "name": "events",
        "description": "Events and series, RSVPs with capacity and waitlist, check-ins, "
        "iCalendar feeds.",
    },
    {
        "name": "challenges",
        "description": "Creative challenges: phases, entering works, results, vote budgets.",
    },
    {
        "name": "submissions",
        "description": "Works in challenges: edits, withdrawal, votes and moderation.",
    },
    {
        "name": "showcase",
        "description": "The public showcase of winning and featured works.",
    },
    {
        "name": "projects",
        "description": "Collaborative projects: members and roles, a task board, progress updates.",
    },
    {"name": "mentors", "description": "Mentor profiles and mentor suggestions."},
    {"name": "mentorships", "description": "Mentorship requests, answers and completion."},
    {"name": "threads", "description": "Discussion threads and their posts."},
    {"name": "posts", "description": "Posts in threads: edits and deletion."},
    {"name": "comments", "description": "Comments on works: edits and deletion."},
    {"name": "ideas", "description": "The idea box: upvotes and the organizers' answers."},
    {"name": "announcements", "description": "Announcements from the organizers."},
    {
        "name": "reports",
        "description": "Reports of content and members, grouped per target for organizers.",
    },
    {
        "name": "webhooks",
        "description": "Signed outgoing webhooks for bots and automations: registration, "
        "subscriptions, the delivery log, pings and redelivery (admins).",
    },
    {
        "name": "chat_bridges",
        "description": "The community's Discord, Telegram, Slack or Matrix group: a short "
        "message per event, delivered like webhooks (admins).",
    },
    {"name": "leaderboard", "description": "Members ranked by contribution points."},
    {"name": "badges", "description": "The badge catalogue: what can be earned, and by whom."},
    {
        "name": "analytics",
        "description": "Engagement for organizers: participation, silent and fading members.",
    },
    {
        "name": "anthologies",
        "description": "Collections of works, published as EPUB books.",
    },
    {
        "name": "audit",
        "description": "The append-only log of privileged actions (admins).",
    },
    {
        "name": "search",
        "description": "One search over members, works, threads, posts, events, projects "
        "and ideas: word forms, accents, search as you type, only what the caller may see.",
    },
    {"name": "ops", "description": "Health, readiness and metrics."},
    {
        "name": "problems",
        "description": "What each error `code` means: where a problem's `type` URI points.",
    },
]


# What a browser app on an allowed origin may send (CORS); explicit rather than "*".
CORS_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
CORS_HEADERS = [
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "X-Request-ID",
]


def operation_id(route: APIRoute) -> str:
    """Handlers are named `<tag>_<action>`, so the function name is the operationId."""
    return route.name


def _bootstrap_admin(app: FastAPI) -> None:
    with Session(app.state.engine, expire_on_commit=False) as session:
        admin = members.ensure_bootstrap_admin(session, app.state.settings)
        session.commit()
    if admin is not None:
        log.info("bootstrap_admin_created", member_id=admin.id, handle=admin.handle)


# How often a start-up that found the database unreachable tries the bootstrap admin again.
BOOTSTRAP_RETRY_SECONDS = 5.0


async def _bootstrap_admin_until_done(app: FastAPI) -> None:
    """The database may be down when the process starts: the process still starts (so
    `/healthz` answers and `/readyz` says why it is not ready) and keeps trying."""
    while True:
        try:
            await run_in_threadpool(_bootstrap_admin, app)
            return
        except SQLAlchemyError as error:
            log.warning("bootstrap_admin_deferred", error=str(error).splitlines()[0])
            await asyncio.sleep(BOOTSTRAP_RETRY_SECONDS)


# glibc's mallopt parameters: the size from which an allocation gets its own mapping, and
# how many heaps (arenas) threads allocate from.
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
OWN_MAPPING_BYTES = 1024 * 1024
ARENAS = 2


def _tune_allocator() -> None:
    """Large buffers get a mapping of their own, and the threads share two heaps.

    Every allocation of 1 MiB or more is mapped on its own and unmapped when freed. An
    Argon2 hash (every log-in, registration, password change) allocates its memory cost at
    once, 19 MiB by default. glibc maps the first such buffer, then raises its threshold
    above the size it saw freed: later buffers come from the heap of the thread that hashes,
    and each worker thread's heap keeps its 19 MiB after the hash, for good. Fixed, the
    threshold keeps a worker's memory flat across log-ins; the price is mapping each
    buffer's pages anew, a fraction of the hash's own time.

    glibc gives threads up to eight heaps per core, each keeping the free space of what its
    threads once held; the worker threads, the periodic jobs and the event loop then hold
    several partly empty heaps. Python allocates under its global lock, so threads sharing
    two rarely wait for one another (figures for both: bench/MEMORY.md).
    Not glibc (macOS, musl): nothing to set, their allocators work otherwise.
    """
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, OWN_MAPPING_BYTES)
    mallopt(M_ARENA_MAX, ARENAS)


def _freeze_startup_objects() -> None:
    """Keeps the garbage collector off everything built at start-up.

    Routes, models, schemas and the ORM's mappings are hundreds of thousands of objects that
    live as long as the process; every full collection walked them all, a pause of tens of
    milliseconds in the middle of a request (the p99 at one connection). Frozen, they are
    never collected; what requests allocate is, as before.
    """
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Held while serving, so `sanggar restore` refuses to replace a SQLite database under us.
    served = ExitStack()
    served.enter_context(serving(app.state.settings.database_url))
    # The worker threads this event loop may use: one per request admitted, and the jobs'.
    to_thread.current_default_thread_limiter().total_tokens = app.state.settings.worker_threads
    bootstrap = asyncio.create_task(_bootstrap_admin_until_done(app), name="bootstrap-admin")
    # Usually done at once; waiting a moment keeps the admin there before the first request.
    await asyncio.wait([bootstrap], timeout=10)
    token_uses: periodic.Job = app.state.token_uses.job()
    jobs = periodic.start(
        app.state.engine, app.state.settings, [*periodic.JOBS.values(), token_uses]
    )
    broadcast: PrincipalBroadcast | None = app.state.principal_broadcast
    if broadcast is not None:
        broadcast.start()
    # Other processes' changes read about once a second (periodic, as the jobs are).
    poll: PrincipalChangesPoll | None = app.state.principal_poll
    if poll is not None and app.state.settings.periodic_jobs_enabled:
        poll.start()
    app.state.live_hub.start()
    _freeze_startup_objects()
    yield
    await to_thread.run_sync(app.state.live_hub.stop)
    await periodic.stop([*jobs, bootstrap])
    if broadcast is not None:
        await to_thread.run_sync(broadcast.stop)
    if poll is not None:
        await to_thread.run_sync(poll.stop)
    # The tokens' last uses this process has not written yet (app.principal.usage).
    await to_thread.run_sync(periodic.run_logged, app.state.engine, token_uses)
    app.state.kept_read_connections.close()
    app.state.engine.dispose()
    served.close()


def _document_webhooks_when_asked(app: FastAPI) -> None:
    """The OpenAPI `webhooks` section (app.webhooks.docs: a model and a route per event
    type, only the docs read them) is built when the schema is first asked for, not in
    every worker at start-up (bench/MEMORY.md)."""
    schema = app.openapi

    def openapi() -> dict[str, Any]:
        if not app.webhooks.routes:
            from app.webhooks.docs import build_webhooks

            app.webhooks.include_router(build_webhooks())
        return schema()

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    _tune_allocator()
    configure_logging(level=settings.log_level, json_logs=settings.log_json)
    app = FastAPIOffline(
        title="Sanggar",
        version="0.1.0",
        summary=(app_doc or "").strip(),
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        redoc_url=None,  # app.core.redoc serves it, without its outside logo
        generate_unique_id_function=operation_id,
        # Starlette answers `/path/` with a 307 to an absolute URL built from the Host header
        # (an open redirect for whoever forges it); such a path is a 404 with a hint instead.
        redirect_slashes=False,
        telemetry={
            "tracing": settings.opentelemetry,
            "metrics": settings.opentelemetry,
            "logs": settings.opentelemetry,
        },
        swagger_ui_parameters={
            "persistAuthorization": True,
            "displayRequestDuration": True,
            # Off: the validator badge is an image from validator.swagger.io.
            "validatorUrl": None,
        },
    )
    engine = create_db_engine(settings)
    app.state.settings = settings
    app.state.engine = engine
    app.state.read_engine = read_only(engine)
    app.state.kept_read_connections = KeptConnections(
        app.state.read_engine, most=settings.max_concurrent_requests
    )
    app.state.principal_cache = PrincipalCache(
        settings.auth_cache_seconds, shared_seconds=settings.auth_cache_shared_seconds
    )
    app.state.principal_cache.watch(engine)
    app.state.principal_poll = (
        PrincipalChangesPoll(app.state.principal_cache, app.state.read_engine)
        if settings.auth_cache_seconds > 0
        else None
    )
    app.state.principal_broadcast = (
        PrincipalBroadcast(app.state.principal_cache, settings.redis_url)
        if settings.redis_url and settings.auth_cache_seconds > 0
        else None
    )
    app.state.token_uses = TokenUses()
    app.state.live_hub = LiveHub(settings)  # live notification streams
    app.state.live_hub.watch(engine)

    install_error_handlers(app)
    app.add_exception_handler(IdempotentReplay, replay_handler)
    include_api(app)
    app.include_router(ops_router)
    app.include_router(problems_router)
    app.include_router(redoc_router)
    install_openapi(app)
    _document_webhooks_when_asked(app)
    app.router.middleware_stack = PrefixRouting(app.router)

    # Added innermost first: the request-context middleware wraps everything else.
    # On SQLite, a writer waiting its turn in the write queue holds no place of admission.
    # Uploads are read as they arrive, never buffered first (app.media.uploading).
    streamed = frozenset({UPLOAD_PATH})
    app.add_middleware(
        AdmissionMiddleware,
        limit=settings.max_concurrent_requests,
        serialize_writes=settings.is_sqlite,
        streamed_paths=streamed,
        long_lived_paths=frozenset({STREAM_PATH}),
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=False,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_HEADERS,
            max_age=600,
            expose_headers=[
                "ETag",
                "Location",
                "X-Request-ID",
                "Retry-After",
                "Idempotent-Replayed",
            ],
        )
    app.add_middleware(
        RefuseStrangerPreflights,
        allowed_origins=settings.cors_origins,
        allowed_methods=CORS_METHODS,
        allowed_headers=CORS_HEADERS,
    )
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        seconds=settings.body_timeout_seconds,
        streamed_limits={UPLOAD_PATH: upload_body_limit(settings)},
    )
    if settings.public_cache_seconds > 0:
        app.add_middleware(PublicCacheMiddleware, ttl=settings.public_cache_seconds)
    # Shared by the middleware and the per-account log-in limit (None: limits are off).
    app.state.rate_limiter = Limiter(settings) if settings.rate_limit_enabled else None
    if app.state.rate_limiter is not None:
        app.add_middleware(RateLimitMiddleware, settings=settings, limiter=app.state.rate_limiter)
    templates = {id(route.original_route): route.path_format for route in api_routes(app)}
    app.add_middleware(RequestContextMiddleware, route_templates=templates)
    # Outermost, so that every answer gets the headers: 413s, 429s and 500s included.
    app.add_middleware(
        SecurityHeadersMiddleware,
        hsts_max_age=settings.hsts_max_age,
        public_base_url=settings.public_base_url,
    )
    if settings.trusted_proxies:
        # Before everything else reads the client address: limits, logs, the https check.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app


app = create_app()
