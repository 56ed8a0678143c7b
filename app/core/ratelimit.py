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
from typing import TYPE_CHECKING

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.config import Settings
from app.core.errors import TooManyRequests, problem_response
from app.core.security import PAT_PREFIX, decode_access_token, hash_secret
from app.i18n import N_

if TYPE_CHECKING:  # `limits` (1.6 MiB) is imported with the first limiter, not with limits off
    from limits import RateLimitItem
    from limits.aio.strategies import SlidingWindowCounterRateLimiter

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


# Guesses at the password (its change, leaving, an email change) and mails: as log-in.
_ACCOUNT = r"^/api/v1/members/(me(/password|/verification-email|/deletion)?|[^/]+/password-reset)$"
_POSTING = (
    r"^/api/v1/(threads|threads/[^/]+/posts|submissions/[^/]+/comments|ideas"
    r"|announcements|reports|projects|projects/[^/]+/(updates|tasks)|challenges/[^/]+/submissions)$"
)


def build_rules(settings: Settings) -> list[Rule]:
    """The first matching rule applies; the last one matches every API path."""
    from limits import parse

    def rule(name: str, path: str, limit: str, *methods: str) -> Rule:
        return Rule(name, re.compile(path), parse(limit), frozenset(methods) or None)

    return [
        rule("refresh", r"^/api/v1/auth/refresh$", settings.rate_limit_refresh),
        rule("auth", r"^/api/v1/auth/", settings.rate_limit_auth),
        rule("account", _ACCOUNT, settings.rate_limit_auth, "POST", "PATCH"),
        rule("export", r"^/api/v1/members/me/export$", settings.rate_limit_export),
        rule("inquiries", r"^/api/v1/members/[^/]+/inquiries$", settings.rate_limit_inquiries),
        rule("posting", _POSTING, settings.rate_limit_posting, "POST"),
        rule("api", r"^/api/", settings.rate_limit_default),
    ]


class SharedCountUnavailable(Exception):
    """Redis is not configured or not answering: nothing counts for every process here."""


class Limiter:
    """Counts hits in Redis when configured and reachable, else in this process's memory."""

    def __init__(self, settings: Settings) -> None:
        from limits.aio.storage import MemoryStorage, RedisStorage
        from limits.aio.strategies import SlidingWindowCounterRateLimiter

        self.memory = SlidingWindowCounterRateLimiter(MemoryStorage())
        self.shared = None
        if settings.redis_url:
            url = settings.redis_url.replace("redis://", "async+redis://", 1)
            # A Redis that hangs must cost a request half a second, not every worker forever.
            redis = RedisStorage(
                url, implementation="redispy", socket_connect_timeout=0.5, socket_timeout=0.5
            )
            self.shared = SlidingWindowCounterRateLimiter(redis)
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
