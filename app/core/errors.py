"""RFC 9457 problem details: the one shape of every error the API returns.

Services raise `ProblemError` subclasses that carry their status and machine-readable
`code`; the handlers below render those, FastAPI's validation errors and Starlette's own
404/405/413 the same way, with `title` and `detail` in the caller's language (app.i18n).
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection
from starlette.routing import compile_path
from starlette.types import Scope

from app import i18n
from app.core.jsonutil import dumps
from app.core.problem_catalogue import CATALOGUE
from app.i18n import N_

PROBLEM_MEDIA_TYPE = "application/problem+json"
# Where `GET /problems/{code}` describes each code; a problem's `type` is this URL.
PROBLEM_PATH = "/problems/"


class ValidationIssue(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "loc": ["body", "handle"],
                    "msg": "String should match pattern",
                    "type": "string_pattern_mismatch",
                }
            ]
        }
    )

    loc: list[str | int] = Field(
        description="Where the bad value is: body, query, path or header, then the field."
    )
    msg: str
    type: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details with a machine-readable `code`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "http://127.0.0.1:8000/problems/member_not_found",
                    "title": "Member not found",
                    "status": 404,
                    "detail": "Member 42 does not exist.",
                    "code": "member_not_found",
                }
            ]
        }
    )

    type: str = Field(
        description="A URL naming the kind of problem, where `GET` describes it "
        "(`/problems/{code}`, HTML for a browser, JSON otherwise)."
    )
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable machine-readable code, e.g. `vote_budget_exhausted`.")
    # `detail` as a message id and the values it quotes, translated when answered.
    _message: tuple[str, dict[str, Any]] | None = PrivateAttr(default=None)


class ValidationProblem(Problem):
    """A 422: the request was well-formed but some fields are invalid."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "http://127.0.0.1:8000/problems/validation_failed",
                    "title": "Invalid input",
                    "status": 422,
                    "detail": "1 field is invalid.",
                    "code": "validation_failed",
                    "errors": [
                        {
                            "loc": ["query", "limit"],
                            "msg": "Input should be less than or equal to 100",
                            "type": "less_than_equal",
                        }
                    ],
                }
            ]
        }
    )

    errors: list[ValidationIssue]


class ProblemError(Exception):
    """Base of every error a service may raise. Subclasses set status and code."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    # When True the request's transaction is committed although the request fails.
    persist_changes: ClassVar[bool] = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        """`detail` is a message id (`N_()`) filled from `values` when they are given."""
        self.values = values
        self.message = detail or HTTPStatus(self.status).phrase
        self.detail = i18n.translate(i18n.Locale.EN, self.message, values)
        self.headers = headers or {}
        super().__init__(self.detail)

    def to_problem(self) -> Problem:
        return make_problem(self.code, self.status, self.message, self.values)


def make_problem(
    code: str, status: int, detail: str, values: dict[str, Any] | None = None
) -> Problem:
    """The problem of a code, titled from the catalogue; its `type` is made absolute and its
    words translated when it is answered (`problem_response`), where the request is known."""
    known = CATALOGUE.get(code)
    title = known.title if known is not None else HTTPStatus(status).phrase
    english = i18n.translate(i18n.Locale.EN, detail, values)
    problem = Problem(
        type=PROBLEM_PATH + code, title=title, status=status, detail=english, code=code
    )
    problem._message = (detail, values or {})
    return problem


class BadRequest(ProblemError):
    status = 400
    code = "bad_request"


class Unauthorized(ProblemError):
    status = 401
    code = "unauthorized"

    def __init__(self, detail: str | None = None, *, error: str = "invalid_token") -> None:
        super().__init__(
            detail or N_("Missing or invalid credentials."),
            headers={"WWW-Authenticate": f'Bearer error="{error}"'},
        )


class Forbidden(ProblemError):
    status = 403
    code = "forbidden"


class NotFound(ProblemError):
    status = 404
    code = "not_found"


class Conflict(ProblemError):
    status = 409
    code = "conflict"


class PreconditionFailed(ProblemError):
    status = 412
    code = "precondition_failed"


class Unprocessable(ProblemError):
    """A 422 raised by a service for a rule pydantic cannot check (e.g. a private URL)."""

    status = 422
    code = "validation_failed"

    def __init__(self, detail: str, *, loc: list[str | int] | None = None, **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.loc = loc or ["body"]

    def to_problem(self) -> Problem:
        base = super().to_problem()
        issue = ValidationIssue(loc=self.loc, msg=self.detail, type=self.code)
        problem = ValidationProblem(**base.model_dump(), errors=[issue])
        problem._message = base._message
        return problem


class TooManyRequests(ProblemError):
    status = 429
    code = "rate_limited"


def public_base_url(scope: Scope) -> str:
    """SANGGAR_PUBLIC_BASE_URL when set, else the URL the request reached the service at."""
    settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
    configured: str | None = getattr(settings, "public_base_url", None)
    return (configured or str(HTTPConnection(scope).base_url)).rstrip("/")


def problem_response(
    problem: Problem, *, scope: Scope, headers: dict[str, str] | None = None
) -> Response:
    body = problem.model_dump()
    body["type"] = public_base_url(scope) + PROBLEM_PATH + problem.code
    locale = i18n.of_request(scope)
    body["title"] = i18n.gettext(locale, problem.title)
    if problem._message is not None:
        body["detail"] = i18n.translate(locale, *problem._message)
    return Response(
        content=dumps(body),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _starlette_code(status: int) -> str:
    return {
        400: "bad_request",
        401: "unauthorized",
        404: "not_found",
        405: "method_not_allowed",
        413: "body_too_large",
    }.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_"))


async def _handle_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(exc.to_problem(), scope=request.scope, headers=exc.headers)


def _specificity(path_format: str) -> tuple[int, int]:
    """Fewer parameters first, then more literal text: `/members/me` beats
    `/members/{member_id}`, `/events/{event_id}.ics` beats `/events/{event_id}`."""
    parameters = path_format.count("{")
    literal = len(re.sub(r"\{[^}]*\}", "", path_format))
    return parameters, -literal


def _path_templates(app: FastAPI) -> list[tuple[re.Pattern[str], set[str]]]:
    """Every path template's regex and methods, most specific first; built once per app
    (its routes never change after start-up), not on every 405 and 422."""
    templates: list[tuple[re.Pattern[str], set[str]]] | None = getattr(
        app.state, "path_templates", None
    )
    if templates is None:
        methods_of: dict[str, set[str]] = {}
        for context in iter_route_contexts(app.routes):
            if context.path_format and context.methods:
                methods_of.setdefault(context.path_format, set()).update(context.methods)
        ordered = sorted(methods_of, key=_specificity)
        templates = [(compile_path(fmt)[0], methods_of[fmt]) for fmt in ordered]
        app.state.path_templates = templates
    return templates


def _methods_of_path(request: Request) -> set[str] | None:
    """The methods of the path the request names, as the OpenAPI document lists them.

    Starlette names only those of the first route whose path matches, but a path such as
    `/members/me` is served by one route per method, and its URL also matches the template
    `/members/{member_id}`, whose methods are another path's. So: the most specific template
    that matches the URL, and every method of the routes sharing it."""
    path = request.scope["path"]
    for pattern, methods in _path_templates(request.app):
        if pattern.fullmatch(path):
            return methods
    return None


def _path_without_trailing_slash(request: Request) -> str | None:
    """The path without its trailing slashes, when that path exists (the hint of a 404)."""
    path: str = request.scope["path"]
    trimmed = path.rstrip("/")
    if trimmed == path or not trimmed:
        return None
    if any(pattern.fullmatch(trimmed) for pattern, _ in _path_templates(request.app)):
        return trimmed
    return None


def _method_not_allowed(request: Request, methods: set[str]) -> Response:
    problem = make_problem("method_not_allowed", 405, HTTPStatus(405).phrase)
    headers = {"Allow": ", ".join(sorted(methods))}
    return problem_response(problem, scope=request.scope, headers=headers)


async def _handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 405 and (methods := _methods_of_path(request)):
        return _method_not_allowed(request, methods)
    headers = dict(exc.headers or {})
    code = _starlette_code(status)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    values = None
    if status == 413:
        detail = TOO_LARGE
    if status == 404 and (without_slash := _path_without_trailing_slash(request)):
        detail, values = N_("Paths have no trailing slash: try {path}."), {"path": without_slash}
    problem = make_problem(code, status, detail, values)
    return problem_response(problem, scope=request.scope, headers=headers)


# A length limit on a text type with validators of its own (`Annotated[Title,
# StringConstraints(max_length=200)]`) is checked by pydantic after them, as on any value:
# "Value should have at most 200 items after validation". Of a string, it says characters.
_TEXT_LENGTH = {
    "too_long": ("string_too_long", "String should have at most {} characters"),
    "too_short": ("string_too_short", "String should have at least {} characters"),
}


def _issue(error: dict[str, Any]) -> ValidationIssue:
    message = str(error.get("msg", "Invalid value"))
    kind = str(error["type"])
    context = error.get("ctx") or {}
    if kind in _TEXT_LENGTH and isinstance(error.get("input"), str):
        limit = context.get("max_length" if kind == "too_long" else "min_length")
        kind, template = _TEXT_LENGTH[kind]
        message = template.format(limit)
    return ValidationIssue(loc=list(error.get("loc", ())), msg=message, type=kind)


async def _handle_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # `PATCH /events/5.ics` reached `/events/{event_id}` (whose id "5.ics" is no integer),
    # but the URL names the calendar file, which has no PATCH: that is a 405, not a 422.
    methods = _methods_of_path(request)
    if methods is not None and request.method not in methods:
        return _method_not_allowed(request, methods)
    errors = list(exc.errors())
    # Unparseable JSON is malformed (400), not a field that failed validation (422).
    if any(error["type"] == "json_invalid" for error in errors):
        problem = BadRequest(N_("The request body is not valid JSON.")).to_problem()
        return problem_response(problem, scope=request.scope)
    issues = [_issue(error) for error in errors]
    counted = N_("1 field is invalid.") if len(issues) == 1 else MANY_INVALID
    base = make_problem("validation_failed", 422, counted, {"count": len(issues)})
    problem = ValidationProblem(**base.model_dump(), errors=issues)
    problem._message = base._message
    return problem_response(problem, scope=request.scope)


MANY_INVALID = N_("{count} fields are invalid.")
TOO_LARGE = N_("The request body is larger than the server accepts.")


class PayloadTooLarge(ProblemError):
    status = 413
    code = "body_too_large"


def body_too_large_response(scope: Scope) -> Response:
    return problem_response(PayloadTooLarge(TOO_LARGE).to_problem(), scope=scope)


class RequestTimeout(ProblemError):
    status = 408
    code = "request_timeout"


class UriTooLong(ProblemError):
    status = 414
    code = "uri_too_long"


class HeadersTooLarge(ProblemError):
    status = 431
    code = "headers_too_large"


def body_too_slow_response(scope: Scope, seconds: float) -> Response:
    detail = N_("The request's body did not arrive within {seconds} seconds.")
    problem = RequestTimeout(detail, values={"seconds": f"{seconds:g}"}).to_problem()
    return problem_response(problem, scope=scope, headers={"Connection": "close"})


def internal_error_response(scope: Scope) -> Response:
    detail = N_("An unexpected error occurred; it has been logged.")
    return problem_response(ProblemError(detail).to_problem(), scope=scope)


class DatabaseBusy(ProblemError):
    status = 503
    code = "database_busy"


def _is_lock_wait(error: OperationalError) -> bool:
    """A lock not obtained in time: PostgreSQL's lock_timeout, SQLite's busy timeout."""
    pgcode = getattr(error.orig, "sqlstate", None)
    return pgcode == "55P03" or "database is locked" in str(error.orig)


class DatabaseUnavailable(ProblemError):
    status = 503
    code = "database_unavailable"


class CommitOutcomeUnknown(ProblemError):
    """The connection was lost during COMMIT: the change may or may not have been saved."""

    status = 503
    code = "commit_outcome_unknown"

    def __init__(self) -> None:
        super().__init__(
            N_(
                "The connection to the database was lost while the change was being saved: it "
                "may or may not have been saved. Retry with the same Idempotency-Key, or read "
                "it back before retrying."
            ),
            headers={"Retry-After": "1"},
        )


def _is_unavailable(error: DBAPIError) -> bool:
    """The connection failed (server restarting, network cut), not the statement."""
    return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)


async def _handle_database_error(request: Request, exc: Exception) -> Response:
    """A lock not obtained in time or a lost connection is a 503 to retry, never a 500: the
    pool replaces connections the server closed (app.core.db), so the next request finds
    the database."""
    assert isinstance(exc, DBAPIError)
    if isinstance(exc, OperationalError) and _is_lock_wait(exc):
        error: ProblemError = DatabaseBusy(
            N_("The community is busy with a burst of writes; retry in a moment."),
            headers={"Retry-After": "1"},
        )
    elif _is_unavailable(exc):
        error = DatabaseUnavailable(
            N_("The database cannot be reached right now; retry in a moment."),
            headers={"Retry-After": "1"},
        )
    else:
        raise exc
    return problem_response(error.to_problem(), scope=request.scope, headers=error.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _handle_problem)
    app.add_exception_handler(StarletteHTTPException, _handle_http_exception)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(DBAPIError, _handle_database_error)
