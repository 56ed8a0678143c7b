"""Who is calling: the principal behind a Bearer token, and the role checks built on it.

Two kinds of Bearer token are accepted: short-lived JWT access tokens from the password
flow, and personal access tokens (`sgr_pat_…`) for integrators. Both resolve to a
`Principal` in one query that also checks the member is active and the log-in not revoked
(app.principal.tokens), remembered for seconds (app.principal.cache).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPBearer, OAuth2PasswordBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import SAFE_METHODS, SessionDep, sqlite_reads_only
from app.core.errors import Unauthorized
from app.core.idempotency import Creation, creation_dependency
from app.core.openapi import accepts, declares
from app.core.security import access_token_expired
from app.i18n import N_, message
from app.models import Member, Role, has_role
from app.principal import tokens
from app.principal.cache import PrincipalCache, Remembered
from app.principal.exceptions import (
    EmailUnverified,
    InsufficientScope,
    RoleRequired,
    TokenExpired,
)
from app.principal.usage import TokenUses

oauth2_password = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token",
    scheme_name="OAuth2Password",
    description="Log in with email or handle and password; the access token lasts minutes.",
    auto_error=False,
)
personal_access_token = HTTPBearer(
    scheme_name="PersonalAccessToken",
    description="A personal access token (`sgr_pat_…`) from `POST /api/v1/members/me/tokens`.",
    auto_error=False,
)


@dataclass(frozen=True)
class Principal:
    member: Member
    scopes: frozenset[str]
    session_id: int | None = None  # set for JWT access tokens
    token_id: int | None = None  # set for personal access tokens

    @property
    def via_personal_token(self) -> bool:
        return self.token_id is not None


@declares(401)
@accepts(oauth2_password, personal_access_token)
async def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    """The caller, or None when no credentials are sent. Bad credentials are a 401.

    A token seen in the last seconds is answered from the process's memory, on the event
    loop (app.principal.cache); any other is looked up, on SQLite on the event loop too (one
    indexed read: app.core.db) and outside a write's transaction, elsewhere in a worker
    thread. A personal access token's use is noted, not written (app.principal.usage).
    (The settings from the app, as `optional_reader` takes them.)"""
    if (token := await oauth2_password(request)) is None:  # a token of either scheme
        return None
    settings: Settings = request.app.state.settings
    found = await _identify(request, session, settings, token)
    # A copy of the member in this request's Session, as if it had loaded it: the
    # remembered one is shared by requests and never attached to any Session.
    return _checked(request, settings, found, session.merge(found.member, load=False))


@declares(401)
@accepts(oauth2_password, personal_access_token)
async def optional_reader(request: Request) -> Member | None:
    """`optional_principal`'s member for a read model (app.readmodels), which reads with no
    Session and only looks at the member's columns: the remembered member itself, never
    changed (requests share it), and an unknown token looked up on a connection of its own.
    (The settings from the app, not a dependency: one fewer for FastAPI to solve on every
    hot read.)"""
    if (token := await oauth2_password(request)) is None:  # a token of either scheme
        return None
    settings: Settings = request.app.state.settings
    found = await _identify(request, None, settings, token)
    return _checked(request, settings, found, found.member).member


async def _identify(
    request: Request, session: Session | None, settings: Settings, token: str
) -> Remembered | tokens.ResolvedToken:
    """Who the token belongs to: remembered, or looked up (a bad token is a 401)."""
    cache: PrincipalCache = request.app.state.principal_cache
    remembered = cache.get(token)
    if remembered is None:
        return await _look_up(request, session, settings, token)
    if (token_id := remembered.use_to_note(time.monotonic())) is not None:
        uses: TokenUses = request.app.state.token_uses
        uses.note(token_id, utcnow())
    return remembered


def _checked(
    request: Request, settings: Settings, found: Remembered | tokens.ResolvedToken, member: Member
) -> Principal:
    """The principal, once its token may make this request (scope, confirmed address)."""
    principal = Principal(
        member=member,
        scopes=found.scopes,
        session_id=found.session_id,
        token_id=found.token_id,
    )
    # Its problems are in its language (app.i18n.of_request reads it from the scope).
    request.state.member_locale = principal.member.locale
    if principal.via_personal_token and _log_in_only(request):
        # Before the scope: a read token asking to mint one must not be told to get `write`.
        raise InsufficientScope(LOG_IN_ONLY)
    _check_scope(principal, request.method)
    if (
        settings.email_verification == "on"
        and member.email_verified_at is None
        and request.method not in SAFE_METHODS
        and not UNVERIFIED_MAY_WRITE.match(request.url.path)
    ):
        raise EmailUnverified(
            N_(
                "Confirm your email address first (the link in the mail we sent; POST "
                "/api/v1/members/me/verification-email sends it again)."
            )
        )
    return principal


# The writes a member whose address is unconfirmed may make: their own profile and account.
UNVERIFIED_MAY_WRITE = re.compile(
    r"^/api/v1/members/me(/verification-email|/password|/sessions(/[0-9]+)?|/deletion)?/?$"
)


LOG_IN_ONLY = N_(
    "No personal access token may list, create, show or revoke tokens, whatever its "
    "scopes: log in with your password (POST /api/v1/auth/token) and use that access token."
)


def _log_in_only(request: Request) -> bool:
    """Whether the route answers only a logged-in session (it depends on
    `interactive_principal`); worked out once per route."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return False
    known: bool | None = getattr(route, "log_in_only", None)
    if known is None:
        known = any(d.call is interactive_principal for d in _dependants(dependant))
        route.log_in_only = known  # type: ignore[union-attr]
    return known


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependants(sub)


async def _look_up(
    request: Request, session: Session | None, settings: Settings, token: str
) -> tokens.ResolvedToken:
    cache: PrincipalCache = request.app.state.principal_cache
    since = cache.generation
    read_engine: Engine = request.app.state.read_engine
    sqlite_read_only = None if session is None else sqlite_reads_only(session)
    if session is not None and sqlite_read_only is None:  # PostgreSQL
        resolved = await run_in_threadpool(_resolve_in, session, settings, token)
    elif session is not None and sqlite_read_only:
        resolved = _resolve_in(session, settings, token)
    elif read_engine.dialect.name == "sqlite":
        # A write on SQLite: its transaction takes the database's one write lock at its
        # first statement, and would hold it from here across the hop to the handler.
        # The lookup reads outside it, as a cache hit would have read it before. (Or a
        # read model's request, which has no Session.)
        resolved = _resolve_apart(read_engine, settings, token)
    else:  # a read model's request on PostgreSQL
        resolved = await run_in_threadpool(_resolve_apart, read_engine, settings, token)
    if resolved is None:
        if access_token_expired(settings, token):
            raise TokenExpired
        raise Unauthorized(N_("The access token is invalid or revoked; log in again."))
    if resolved.use_unrecorded and resolved.token_id is not None:
        uses: TokenUses = request.app.state.token_uses
        uses.note(resolved.token_id, utcnow())  # written in a batch (app.principal.usage)
    cache.remember(token, resolved, since=since)
    return resolved


def _resolve_in(session: Session, settings: Settings, token: str) -> tokens.ResolvedToken | None:
    return tokens.resolve_token(session.connection(), settings, token=token)


def _resolve_apart(engine: Engine, settings: Settings, token: str) -> tokens.ResolvedToken | None:
    """On a connection of its own, with no Session around it (one statement, no entity)."""
    with engine.connect() as connection:
        return tokens.resolve_token(connection, settings, token=token)


def _check_scope(principal: Principal, method: str) -> None:
    needed = "read" if method in SAFE_METHODS else "write"
    if needed not in principal.scopes and "write" not in principal.scopes:
        raise InsufficientScope(
            N_("This token lacks the `{needed}` scope."), values={"needed": needed}
        )


@declares(401, 403)
async def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthorized(N_("Log in or send a personal access token."), error="invalid_request")
    return principal


@declares(401, 403)
async def current_reader(member: Annotated[Member | None, Depends(optional_reader)]) -> Member:
    """`current_principal`'s member for a read model (see `optional_reader`)."""
    if member is None:
        raise Unauthorized(N_("Log in or send a personal access token."), error="invalid_request")
    return member


async def current_member(principal: Annotated[Principal, Depends(current_principal)]) -> Member:
    return principal.member


async def optional_member(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Member | None:
    return principal.member if principal else None


# A role as `Only {role} and above may do this.` names it, in each language.
ROLES_NAMED = {
    Role.MEMBER: N_("members"),
    Role.MENTOR: N_("mentors"),
    Role.ORGANIZER: N_("organizers"),
    Role.ADMIN: N_("admins"),
}


def require_role(minimum: Role) -> Any:
    @declares(403)
    async def check(member: Annotated[Member, Depends(current_member)]) -> Member:
        if not has_role(member, minimum):
            role = message(ROLES_NAMED[minimum])
            raise RoleRequired(N_("Only {role} and above may do this."), values={"role": role})
        return member

    check.__name__ = f"require_{minimum.value}"
    return Depends(check)


@declares(403)
async def interactive_principal(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    """A logged-in session: personal access tokens may not mint or list tokens."""
    if principal.via_personal_token:
        raise InsufficientScope(LOG_IN_ONLY)
    return principal


async def key_owner(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]
) -> str:
    if principal is not None:
        return f"member:{principal.member.id}"
    return "client:" + (request.client.host if request.client else "unknown")


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
InteractivePrincipal = Annotated[Principal, Depends(interactive_principal)]
CurrentMember = Annotated[Member, Depends(current_member)]
OptionalMember = Annotated[Member | None, Depends(optional_member)]
OptionalReader = Annotated[Member | None, Depends(optional_reader)]
CurrentReader = Annotated[Member, Depends(current_reader)]
OrganizerMember = Annotated[Member, require_role(Role.ORGANIZER)]
AdminMember = Annotated[Member, require_role(Role.ADMIN)]
CreationDep = Annotated[Creation, Depends(creation_dependency(key_owner))]
