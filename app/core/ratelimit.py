"""Rate limits per member (when a credential is presented) or per client address.

Limits are counted by the `limits` library in memory, or in Redis when
`SANGGAR_REDIS_URL` is set so that every app process shares one count. Auth endpoints have
a stricter limit of their own, and so has posting (threads, replies, comments, ideas,
announcements, reports), per member. If Redis cannot be reached the request is let through and a
warning logged: an outage of the limiter must not become an outage of the community.
"""

from __future__ import annotations

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
        Rule("auth", re.compile(r"^/api/v1/auth/"), parse(settings.rate_limit_auth)),
        Rule(
            "inquiries",
            re.compile(r"^/api/v1/members/[^/]+/inquiries$"),
            parse(settings.rate_limit_inquiries),
        ),
        Rule(
            "posting",
            re.compile(
                r"^/api/v1/(threads|threads/[^/]+/posts|submissions/[^/]+/comments|ideas"
                r"|announcements|reports)$"
            ),
            parse(settings.rate_limit_posting),
            methods=frozenset({"POST"}),
        ),
        Rule("api", re.compile(r"^/api/"), parse(settings.rate_limit_default)),
    ]


def build_storage(settings: Settings) -> Storage:
    if settings.redis_url:
        return RedisStorage(
            settings.redis_url.replace("redis://", "async+redis://", 1), implementation="redispy"
        )
    return MemoryStorage()


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
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.rules = build_rules(settings)
        self.storage = build_storage(settings)
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        rule = next((r for r in self.rules if r.matches(scope["method"], scope["path"])), None)
        if rule is None:
            await self.app(scope, receive, send)
            return
        identity = client_identity(scope, self.settings)
        retry_after = await self._retry_after(rule, identity)
        if retry_after is None:
            await self.app(scope, receive, send)
            return
        error = TooManyRequests(
            f"Too many requests; retry in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )
        await problem_response(error.to_problem(), error.headers)(scope, receive, send)

    async def _retry_after(self, rule: Rule, identity: str) -> int | None:
        """None when the request may proceed, else the seconds until it may."""
        try:
            if await self.limiter.hit(rule.limit, rule.name, identity):
                return None
            stats = await self.limiter.get_window_stats(rule.limit, rule.name, identity)
        except Exception as error:
            log.warning("rate_limit_unavailable", error=str(error))
            return None
        return max(1, math.ceil(stats.reset_time - time.time()))
