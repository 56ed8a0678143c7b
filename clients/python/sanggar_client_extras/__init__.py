"""What every integration writes on top of the generated `sanggar_client`, once: log in and stay
logged in (one refresh, shared by the threads that find the token expired), problems raised as
`SanggarProblem` with their `code`, every item of a list across its cursor pages, and an
`Idempotency-Key` on each creation so a retry never creates twice.

    from sanggar_client.api.challenges import challenges_list
    from sanggar_client_extras import each_item, log_in

    with log_in("http://127.0.0.1:8000", "demo_admin", "sanggar-demo") as sanggar:
        for challenge in each_item(challenges_list.sync_detailed, client=sanggar.client):
            print(challenge.title)

Sync calls only (`sync`, `sync_detailed`): the refresh waits on a thread lock.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Generator, Iterator
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from sanggar_client.api.auth import auth_logout, auth_token
from sanggar_client.client import AuthenticatedClient, Client
from sanggar_client.models import (
    Problem,
    RefreshRequest,
    TokenForm,
    TokenResponse,
    ValidationProblem,
)
from sanggar_client.types import Response

__all__ = ["Sanggar", "SanggarProblem", "create", "each_item", "log_in", "ok"]

T = TypeVar("T")
REFRESH_PATH = "/api/v1/auth/refresh"


class SanggarProblem(Exception):
    """An answer of 400 or more, as the server's problem details: branch on `code` (stable),
    show `detail` (for people, may be reworded); `errors` lists each invalid value of a 422."""

    def __init__(
        self,
        *,
        status: int,
        code: str,
        title: str,
        detail: str,
        type: str = "about:blank",
        errors: list[dict[str, Any]] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.title, self.detail, self.type = (
            status,
            code,
            title,
            detail,
            type,
        )
        self.errors = errors or []
        self.request_id = request_id

    @classmethod
    def of(cls, status: int, body: object, headers: Any) -> SanggarProblem:
        problem = body if isinstance(body, dict) else {}
        title = str(problem.get("title", f"HTTP {status}"))
        return cls(
            status=status,
            # A proxy in front of Sanggar may answer without problem details.
            code=str(problem.get("code", f"http_{status}")),
            title=title,
            detail=str(problem.get("detail", title)),
            type=str(problem.get("type", "about:blank")),
            errors=list(problem.get("errors", [])),
            request_id=headers.get("X-Request-ID"),
        )


def ok(response: Response[T | Problem | ValidationProblem]) -> T:
    """The parsed answer of a `sync_detailed` call, or its problem raised."""
    if response.status_code >= HTTPStatus.BAD_REQUEST:
        parsed = response.parsed
        if isinstance(parsed, Problem | ValidationProblem):
            body: object = parsed.to_dict()
        else:
            body = _json_or_none(response.content)
        raise SanggarProblem.of(response.status_code, body, response.headers)
    return response.parsed  # type: ignore[return-value]  # a 2xx parses to T


def _json_or_none(content: bytes) -> object:
    try:
        return httpx.Response(200, content=content).json()
    except ValueError:
        return None


def create(
    operation: Callable[..., Response[T | Problem | ValidationProblem]],
    /,
    *args: Any,
    idempotency_key: str | None = None,
    retries: int = 2,
    **kwargs: Any,
) -> T:
    """Calls a creating operation with an `Idempotency-Key` (a new UUID unless given) and
    retries it on a network failure with the same key: the server answers the first response
    again instead of creating twice."""
    key = idempotency_key or str(uuid.uuid4())
    for attempt in range(retries + 1):
        try:
            return ok(operation(*args, idempotency_key=key, **kwargs))
        except httpx.TransportError:
            if attempt == retries:
                raise
    raise AssertionError("unreachable")


def each_item(
    operation: Callable[..., Response[Any]], /, *args: Any, **kwargs: Any
) -> Iterator[Any]:
    """Every item of a list operation (a generated `sync_detailed`), following `next_cursor`
    until it is null; the other arguments stay the same, as the API asks."""
    cursor: str | None = None
    while True:
        page = ok(operation(*args, **kwargs, **({"cursor": cursor} if cursor else {})))
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


class _RefreshingAuth(httpx.Auth):
    """Bearer auth that refreshes an expired access token once for every thread that finds
    it expired (single flight), then retries the request; `unauthorized` ends the log-in."""

    requires_response_body = True

    def __init__(self, tokens: TokenResponse) -> None:
        self.tokens: TokenResponse | None = tokens
        self._lock = threading.Lock()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        used = self._access_token()
        if used is None:
            request.headers.pop("Authorization", None)
            yield request  # logged out: the server answers 401 unauthorized
            return
        request.headers["Authorization"] = f"Bearer {used}"
        response = yield request
        if response.status_code != HTTPStatus.UNAUTHORIZED:
            return
        if _code(response) != "token_expired":
            self.tokens = None
            return
        with self._lock:
            if self._access_token() == used:  # nobody refreshed while this call was out
                yield from self._refresh(request)
        fresh = self._access_token()
        if fresh is not None and fresh != used:
            request.headers["Authorization"] = f"Bearer {fresh}"
            yield request

    def _access_token(self) -> str | None:
        return self.tokens.access_token if self.tokens else None

    def _refresh(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        assert self.tokens is not None
        url = request.url.copy_with(path=REFRESH_PATH, query=None)
        answer = yield httpx.Request("POST", url, json={"refresh_token": self.tokens.refresh_token})
        if answer.status_code == HTTPStatus.OK:
            self.tokens = TokenResponse.from_dict(answer.json())
        else:
            self.tokens = None  # refused: reused, revoked or expired; log in again


def _code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


class Sanggar:
    """A log-in: `client` is the generated AuthenticatedClient, kept logged in."""

    def __init__(
        self,
        base_url: str,
        tokens: TokenResponse,
        **httpx_args: Any,
    ) -> None:
        self._auth = _RefreshingAuth(tokens)
        self.client = AuthenticatedClient(
            base_url=base_url,
            token=tokens.access_token,
            httpx_args={**httpx_args, "auth": self._auth},
        )

    @property
    def tokens(self) -> TokenResponse | None:
        """The current pair; None once the log-in is over (refresh refused, token revoked)."""
        return self._auth.tokens

    @tokens.setter
    def tokens(self, tokens: TokenResponse | None) -> None:
        self._auth.tokens = tokens

    def log_out(self) -> None:
        """Revokes the log-in on the server (its refresh token and every access token)."""
        if self._auth.tokens is not None:
            body = RefreshRequest(refresh_token=self._auth.tokens.refresh_token)
            self._auth.tokens = None
            ok(auth_logout.sync_detailed(client=self.client, body=body))

    def __enter__(self) -> Self:
        self.client.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.client.__exit__(kind, error, traceback)


def log_in(
    base_url: str,
    username: str,
    password: str,
    **httpx_args: Any,
) -> Sanggar:
    """The password grant (a form body, as OAuth2 asks); raises SanggarProblem
    (`invalid_credentials`) on a wrong name or password."""
    form = TokenForm(username=username, password=password)
    with Client(base_url=base_url, httpx_args=httpx_args) as anonymous:
        tokens = ok(auth_token.sync_detailed(client=anonymous, body=form))
    return Sanggar(base_url, tokens, **httpx_args)
