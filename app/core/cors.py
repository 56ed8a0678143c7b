"""A CORS preflight the API will refuse gets an answer that says why and what to change.

Without this, a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from an
origin missing from `SANGGAR_CORS_ORIGINS` reaches the router and answers 405
`method_not_allowed` (no origins configured) or Starlette's plain-text 400 "Disallowed CORS
origin": both read as a routing bug to the developer of a browser app. Here it answers 403
`cors_origin_not_allowed`, naming the origin and the setting that would allow it. A preflight
from an allowed origin that asks for a method or a request header the API does not take from
browsers (a tracing header an SDK adds, say) is 403 `cors_request_not_allowed`, naming what
was asked and what is allowed, instead of Starlette's plain-text 400. Everything else goes on
to Starlette's CORSMiddleware, which this wraps.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.middleware.cors import SAFELISTED_HEADERS
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.errors import Problem, ProblemError, problem_response


class CorsOriginNotAllowed(ProblemError):
    status = 403
    code = "cors_origin_not_allowed"


class CorsRequestNotAllowed(ProblemError):
    status = 403
    code = "cors_request_not_allowed"


class RefuseStrangerPreflights:
    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_origins: Iterable[str],
        allowed_methods: Iterable[str] = (),
        allowed_headers: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.origins = frozenset(allowed_origins)
        self.methods = list(allowed_methods)
        self.headers = [*allowed_headers]
        self._header_keys = {name.lower() for name in [*self.headers, *SAFELISTED_HEADERS]}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            problem = self._refusal(Headers(scope=scope))
            if problem is not None:
                await problem_response(problem, scope=scope)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, headers: Headers) -> Problem | None:
        origin = headers.get("origin")
        method = headers.get("access-control-request-method")
        if origin is None or method is None:
            return None  # not a preflight
        if origin not in self.origins:
            return origin_refused(origin)
        asked = [h.strip() for h in headers.get("access-control-request-headers", "").split(",")]
        refused = [name for name in asked if name and name.lower() not in self._header_keys]
        if method not in self.methods or refused:
            return self._request_refused(method if method not in self.methods else None, refused)
        return None

    def _request_refused(self, method: str | None, headers: list[str]) -> Problem:
        asked = ([f"the method {method}"] if method else []) + (
            [f"the header(s) {', '.join(headers)}"] if headers else []
        )
        return CorsRequestNotAllowed(
            f"A browser may not send {' and '.join(asked)} to this API. Allowed methods: "
            f"{', '.join(self.methods)}; allowed request headers: {', '.join(self.headers)} "
            "(and the CORS-safelisted ones). Leave the rest out of the request."
        ).to_problem()


def origin_refused(origin: str) -> Problem:
    return CorsOriginNotAllowed(
        f"CORS is not enabled for the origin {origin}: add it to SANGGAR_CORS_ORIGINS "
        f"(comma-separated exact origins, e.g. SANGGAR_CORS_ORIGINS={origin}) and restart."
    ).to_problem()
