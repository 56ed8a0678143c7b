"""Log-in sessions, rotating refresh tokens, personal access tokens and invitations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
import structlog
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict
from sqlmodel import Session, col, select

from app.auth.exceptions import (
    InvalidCredentials,
    InvalidRefreshToken,
    InvitationRequired,
    RefreshTokenReused,
)
from app.auth.schemas import RegisterRequest, TokenResponse
from app.core.clock import utcnow
from app.core.config import RegistrationMode, Settings
from app.core.db import rows_affected
from app.core.security import (
    PAT_PREFIX,
    create_access_token,
    decode_access_token,
    dummy_hash,
    hash_secret,
    new_secret,
    verify_password,
)
from app.members import service as members
from app.models import AuthSession, Invitation, Member, PersonalAccessToken, RefreshToken

log = structlog.get_logger("sanggar.auth")

FULL_SCOPES = frozenset({"read", "write"})
# Writing last_used_at on every request would turn reads into writes; once a minute is
# precise enough for "when did this integration last call us".
LAST_USED_PRECISION = timedelta(minutes=1)


class ResolvedToken(NamedTuple):
    member: Member
    scopes: frozenset[str]
    session_id: int | None  # a log-in's access token
    token_id: int | None  # a personal access token
    expires_at: datetime | None  # when the token stops working, if it ever does
    use_unrecorded: bool  # a personal access token whose last use is not stamped yet


def register(session: Session, settings: Settings, *, data: RegisterRequest) -> Member:
    invitation_id = None
    if settings.registration is RegistrationMode.INVITE:
        invitation_id = _claim_invitation(session, code=data.invite_code)
    member = members.create_member(
        session,
        settings,
        email=data.email,
        password=data.password,
        handle=data.handle,
        display_name=data.display_name,
    )
    if invitation_id is not None:
        session.execute(
            sa.update(Invitation)
            .where(col(Invitation.id) == invitation_id)
            .values(used_by_id=member.id)
        )
    return member


def _claim_invitation(session: Session, *, code: str | None) -> int:
    """Marks the invitation used in one conditional UPDATE, so two sign-ups cannot share it."""
    if not code:
        raise InvitationRequired("Registration is by invitation; send an `invite_code`.")
    now = utcnow()
    claimed: int | None = session.execute(
        sa.update(Invitation)
        .where(
            col(Invitation.code) == code,
            col(Invitation.used_at).is_(None),
            col(Invitation.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(Invitation.id))
    ).scalar_one_or_none()
    if claimed is None:
        raise InvitationRequired("This invitation code is unknown, used or expired.")
    return claimed


def login(session: Session, settings: Settings, *, username: str, password: str) -> TokenResponse:
    member = members.find_by_login(session, username)
    if member is None:
        # Spend the same time as a real check so response times do not reveal who exists.
        verify_password(
            settings,
            password,
            dummy_hash(settings.password_hash_memory_kib, settings.password_hash_time_cost),
        )
        raise InvalidCredentials("Wrong email, handle or password.")
    valid, new_hash = verify_password(settings, password, member.password_hash)
    if not valid or not member.is_active:
        raise InvalidCredentials("Wrong email, handle or password.")
    if new_hash is not None:
        member.password_hash = new_hash
    auth_session = AuthSession(member_id=member.id)  # type: ignore[arg-type]
    session.add(auth_session)
    session.flush()
    return issue_tokens(session, settings, member_id=member.id, session_id=auth_session.id)  # type: ignore[arg-type]


def issue_tokens(
    session: Session, settings: Settings, *, member_id: int, session_id: int
) -> TokenResponse:
    now = utcnow()
    refresh_token = new_secret()
    session.add(
        RefreshToken(
            session_id=session_id,
            token_hash=hash_secret(refresh_token),
            expires_at=now + timedelta(days=settings.refresh_token_days),
        )
    )
    session.flush()
    return TokenResponse(
        access_token=create_access_token(
            settings, member_id=member_id, session_id=session_id, now=now
        ),
        token_type="bearer",  # noqa: S106 - the OAuth2 token type, not a secret
        expires_in=settings.access_token_minutes * 60,
        refresh_token=refresh_token,
    )


def refresh(session: Session, settings: Settings, *, refresh_token: str) -> TokenResponse:
    """Exchanges a refresh token for a new pair; a token used twice revokes its whole chain."""
    now = utcnow()
    found = session.exec(
        select(RefreshToken, AuthSession, Member)
        .join(AuthSession, col(AuthSession.id) == RefreshToken.session_id)
        .join(Member, col(Member.id) == AuthSession.member_id)
        .where(RefreshToken.token_hash == hash_secret(refresh_token))
    ).first()
    if found is None:
        raise InvalidRefreshToken("Unknown refresh token.")
    token, auth_session, member = found
    if auth_session.revoked_at is not None or not member.is_active or token.expires_at <= now:
        raise InvalidRefreshToken("This refresh token is expired or revoked; log in again.")
    # Conditional UPDATE: of two concurrent exchanges of one token exactly one wins.
    exchanged = rows_affected(
        session.execute(
            sa.update(RefreshToken)
            .where(col(RefreshToken.id) == token.id, col(RefreshToken.used_at).is_(None))
            .values(used_at=now)
        )
    )
    if exchanged != 1:
        _revoke_session(session, session_id=auth_session.id)  # type: ignore[arg-type]
        log.warning("refresh_token_reused", member_id=member.id, session_id=auth_session.id)
        raise RefreshTokenReused("This refresh token was already used; the log-in is revoked.")
    return issue_tokens(session, settings, member_id=member.id, session_id=auth_session.id)  # type: ignore[arg-type]


def logout(session: Session, *, refresh_token: str) -> None:
    session_id = session.exec(
        select(RefreshToken.session_id).where(RefreshToken.token_hash == hash_secret(refresh_token))
    ).first()
    if session_id is not None:
        _revoke_session(session, session_id=session_id)


def _revoke_session(session: Session, *, session_id: int) -> None:
    session.execute(
        sa.update(AuthSession)
        .where(col(AuthSession.id) == session_id, col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


# Every authenticated request that misses the token cache runs one of these two joins:
# built once, as Core statements (no ORM compile or entity loading: a third of the cost).
_MEMBERS = cast(sa.Table, Member.__table__)  # type: ignore[attr-defined]
_PERSONAL_TOKENS = cast(sa.Table, PersonalAccessToken.__table__)  # type: ignore[attr-defined]
_AUTH_SESSIONS = cast(sa.Table, AuthSession.__table__)  # type: ignore[attr-defined]
_PERSONAL_TOKEN_LOOKUP = (
    sa.select(
        *_MEMBERS.c,
        _PERSONAL_TOKENS.c.id.label("token_id"),
        _PERSONAL_TOKENS.c.scopes.label("token_scopes"),
        _PERSONAL_TOKENS.c.expires_at.label("token_expires_at"),
        _PERSONAL_TOKENS.c.last_used_at.label("token_last_used_at"),
    )
    .select_from(_MEMBERS.join(_PERSONAL_TOKENS, _PERSONAL_TOKENS.c.member_id == _MEMBERS.c.id))
    .where(_PERSONAL_TOKENS.c.token_hash == sa.bindparam("token_hash"))
)
_ACCESS_TOKEN_LOOKUP = (
    sa.select(*_MEMBERS.c, _AUTH_SESSIONS.c.revoked_at.label("session_revoked_at"))
    .select_from(_MEMBERS.join(_AUTH_SESSIONS, _AUTH_SESSIONS.c.member_id == _MEMBERS.c.id))
    .where(
        _AUTH_SESSIONS.c.id == sa.bindparam("session_id"),
        _MEMBERS.c.id == sa.bindparam("member_id"),
    )
)
_MEMBER_MAPPER = sa.inspect(Member)
_MEMBER_MANAGER = _MEMBER_MAPPER.class_manager
_MEMBER_COLUMNS = [(attr.key, attr.columns[0].name) for attr in _MEMBER_MAPPER.column_attrs]


def resolve_token(session: Session, settings: Settings, *, token: str) -> ResolvedToken | None:
    """The member behind a Bearer token, with its scopes, or None if it is not valid now.

    Only reads (one indexed join), so that it may run on the event loop on SQLite
    (app.auth.dependencies); the member comes detached, in no Session. A personal access
    token's use still to be recorded is `ResolvedToken.use_unrecorded` (app.auth.usage)."""
    if token.startswith(PAT_PREFIX):
        return _resolve_personal_token(session, token)
    claims = decode_access_token(settings, token)
    if claims is None:
        return None
    parameters = {"session_id": claims.session_id, "member_id": claims.member_id}
    row = session.connection().execute(_ACCESS_TOKEN_LOOKUP, parameters).first()
    if row is None or row.session_revoked_at is not None or not row.is_active:
        return None
    return ResolvedToken(
        _detached_member(row),
        FULL_SCOPES,
        session_id=claims.session_id,
        token_id=None,
        expires_at=claims.expires_at,
        use_unrecorded=False,
    )


def _resolve_personal_token(session: Session, token: str) -> ResolvedToken | None:
    parameters = {"token_hash": hash_secret(token)}
    row = session.connection().execute(_PERSONAL_TOKEN_LOOKUP, parameters).first()
    if row is None:
        return None
    now = utcnow()
    if not row.is_active or (row.token_expires_at is not None and row.token_expires_at <= now):
        return None
    last_used_at = row.token_last_used_at
    unrecorded = last_used_at is None or last_used_at < now - LAST_USED_PRECISION
    return ResolvedToken(
        _detached_member(row),
        frozenset(row.token_scopes),
        None,
        row.token_id,
        row.token_expires_at,
        unrecorded,
    )


def _detached_member(row: sa.Row[Any, *tuple[Any, ...]]) -> Member:
    """The member's columns in an entity of no Session, as if loaded and then detached:
    filled the way the ORM fills what it loads (no model validation, no events)."""
    member: Member = _MEMBER_MANAGER.new_instance()
    values = instance_dict(member)
    mapping = row._mapping
    for key, name in _MEMBER_COLUMNS:
        values[key] = mapping[name]
    make_transient_to_detached(member)
    return member
