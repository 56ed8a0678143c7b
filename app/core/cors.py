"""A CORS preflight from an origin that is not allowed gets an answer that says so.

Without this, a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from an
origin missing from `SANGGAR_CORS_ORIGINS` reaches the router and answers 405
`method_not_allowed` (no origins configured) or Starlette's plain-text 400: both read as a
routing bug to the developer of a browser app. It answers 403 `cors_origin_not_allowed`,
naming the origin and the setting that would allow it; preflights from allowed origins go on
to Starlette's CORSMiddleware, which this wraps.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.errors import Problem, ProblemError, problem_response


class CorsOriginNotAllowed(ProblemError):
    status = 403
    code = "cors_origin_not_allowed"


class RefuseStrangerPreflights:
    def __init__(self, app: ASGIApp, *, allowed_origins: list[str]) -> None:
        self.app = app
        self.allowed = frozenset(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            preflight = "access-control-request-method" in headers
            if preflight and origin is not None and origin not in self.allowed:
                await problem_response(refusal(origin), scope=scope)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def refusal(origin: str) -> Problem:
    return CorsOriginNotAllowed(
        f"CORS is not enabled for the origin {origin}: add it to SANGGAR_CORS_ORIGINS "
        f"(comma-separated exact origins, e.g. SANGGAR_CORS_ORIGINS={origin}) and restart."
    ).to_problem()
