"""Rate limits per member (when a credential is presented) or per client address.

Limits are counted by the `limits` library in memory, or in Redis when
`SANGGAR_REDIS_URL` is set so that every app process shares one count. Auth endpoints have
a stricter limit of their own (token refresh a looser one, sized for browser apps that
refresh from every tab), and so has posting (threads, replies, comments, ideas,
announcements, reports, projects, project updates and tasks, works entered in challenges),
per member: every creation that notifies people, calls webhooks or earns points (a task
created done earns its points). Log-ins are also counted per account (the submitted email
or handle, whether or not such an account exists, so a 429 tells nothing about it).

If Redis cannot be reached, counting falls back to this process's memory (a warning is
logged once per outage) and Redis is tried again every `rate_limit_redis_retry_seconds`: an
outage of the limiter must not become an outage of the community, nor switch the limits off.
The log-in budget per account is the exception: it guards passwords, so without Redis it is
counted in the database every process shares (`shared_retry_after`, app.auth.attempts).
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from dataclasses import dataclass

import structlog
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.config import Settings
from app.core.errors import TooManyRequests, problem_response
from app.core.security import PAT_PREFIX, decode_access_token, hash_secret
from app.i18n import N_

log = structlog.get_logger("sanggar.ratelimit")


@dataclass(frozen=True)
class Rule:
    name: str
    path: re.Pattern[str]
    limit: RateLimitItem
    # None: every method; else only these (e.g. the creating POSTs of a path).
    methods: frozenset[str] | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.methods is None or method in self.methods) and bool(self.path.match(path))


def build_rules(settings: Settings) -> list[Rule]:
    """The first matching rule applies; the last one matches every API path."""
    return [
        Rule("refresh", re.compile(r"^/api/v1/auth/refresh$"), parse(settings.rate_limit_refresh)),
        Rule("auth", re.compile(r"^/api/v1/auth/"), parse(settings.rate_limit_auth)),
        # Guesses at the password (its change, leaving, an email change) and mails: as log-in.
        Rule(
            "account",
            re.compile(
                r"^/api/v1/members/(me(/password|/verification-email|/deletion)?|[^/]+/password-reset)$"
            ),
            parse(settings.rate_limit_auth),
            methods=frozenset({"POST", "PATCH"}),
        ),
        Rule(
            "export", re.compile(r"^/api/v1/members/me/export$"), parse(settings.rate_limit_export)
        ),
        Rule(
            "inquiries",
            re.compile(r"^/api/v1/members/[^/]+/inquiries$"),
            parse(settings.rate_limit_inquiries),
        ),
        Rule(
            "posting",
            re.compile(
                r"^/api/v1/(threads|threads/[^/]+/posts|submissions/[^/]+/comments|ideas"
                r"|announcements|reports|projects|projects/[^/]+/(updates|tasks)"
                r"|challenges/[^/]+/submissions)$"
            ),
            parse(settings.rate_limit_posting),
            methods=frozenset({"POST"}),
        ),
        Rule("api", re.compile(r"^/api/"), parse(settings.rate_limit_default)),
    ]


def build_redis_storage(redis_url: str) -> Storage:
    return RedisStorage(
        redis_url.replace("redis://", "async+redis://", 1),
        implementation="redispy",
        # A Redis that hangs must cost a request half a second, not every worker forever.
        socket_connect_timeout=0.5,
        socket_timeout=0.5,
    )


class SharedCountUnavailable(Exception):
    """Redis is not configured or not answering: nothing counts for every process here."""


class Limiter:
    """Counts hits in Redis when configured and reachable, else in this process's memory."""

    def __init__(self, settings: Settings) -> None:
        self.memory = SlidingWindowCounterRateLimiter(MemoryStorage())
        self.shared = (
            SlidingWindowCounterRateLimiter(build_redis_storage(settings.redis_url))
            if settings.redis_url
            else None
        )
        self.retry_seconds = settings.rate_limit_redis_retry_seconds
        self.redis_down_since: float | None = None

    async def retry_after(self, limit: RateLimitItem, *identifiers: str) -> int | None:
        """Counts one hit; None when it is within the limit, else the seconds to wait."""
        try:
            return await self.shared_retry_after(limit, *identifiers)
        except SharedCountUnavailable:
            return await _hit(self.memory, limit, identifiers)

    async def shared_retry_after(self, limit: RateLimitItem, *identifiers: str) -> int | None:
        """As `retry_after`, counted in Redis only: `SharedCountUnavailable` when Redis is not
        configured or not answering, for a caller that has a shared count of its own."""
        if self.shared is None or not self._redis_worth_trying():
            raise SharedCountUnavailable
        try:
            retry = await _hit(self.shared, limit, identifiers)
        except Exception as error:  # any failure of the store, whatever its library
            self._redis_failed(error)
            raise SharedCountUnavailable from error
        self._redis_answered()
        return retry

    def _redis_worth_trying(self) -> bool:
        down_since = self.redis_down_since
        return down_since is None or time.monotonic() - down_since >= self.retry_seconds

    def _redis_failed(self, error: Exception) -> None:
        if self.redis_down_since is None:
            log.warning("rate_limit_redis_unavailable", error=str(error), fallback="memory")
        self.redis_down_since = time.monotonic()

    def _redis_answered(self) -> None:
        if self.redis_down_since is not None:
            log.warning("rate_limit_redis_restored")
            self.redis_down_since = None


async def _hit(
    limiter: SlidingWindowCounterRateLimiter, limit: RateLimitItem, identifiers: tuple[str, ...]
) -> int | None:
    if await limiter.hit(limit, *identifiers):
        return None
    stats = await limiter.get_window_stats(limit, *identifiers)
    return max(1, math.ceil(stats.reset_time - time.time()))


def account_key(username: str) -> str:
    """The login name as counted: case and surrounding space ignored, and hashed so that
    Redis never holds the email addresses people typed."""
    return hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


def client_identity(scope: Scope, settings: Settings) -> str:
    """A verified member id or token hash when one is presented, else the client address."""
    token = _bearer(scope)
    if token and token.startswith(PAT_PREFIX):
        return "pat:" + hash_secret(token)[:32]
    if token and (claims := decode_access_token(settings, token)) is not None:
        return f"member:{claims.member_id}"
    client = scope.get("client")
    return "client:" + (client[0] if client else "unknown")


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings, limiter: Limiter) -> None:
        self.app = app
        self.settings = settings
        self.rules = build_rules(settings)
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        rule = next((r for r in self.rules if r.matches(scope["method"], scope["path"])), None)
        if rule is None:
            await self.app(scope, receive, send)
            return
        identity = client_identity(scope, self.settings)
        retry_after = await self.limiter.retry_after(rule.limit, rule.name, identity)
        if retry_after is None:
            await self.app(scope, receive, send)
            return
        error = TooManyRequests(
            N_("Too many requests; retry in {seconds} seconds."),
            values={"seconds": retry_after},
            headers={"Retry-After": str(retry_after)},
        )
        response = problem_response(error.to_problem(), scope=scope, headers=error.headers)
        await response(scope, receive, send)
