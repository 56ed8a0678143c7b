"""Registration, log-in sessions, rotating refresh tokens and invitations.

Who a token belongs to on each request is `app.principal`'s; this is how a log-in begins,
is renewed and ends."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta

import sqlalchemy as sa
import structlog
from sqlmodel import Session, col, select

from app.auth.clients import clean_user_agent, describe_client
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
    create_access_token,
    dummy_hash,
    hash_secret,
    new_secret,
    verify_password,
)
from app.i18n import N_, Locale
from app.members import service as members
from app.models import AuthSession, Invitation, Member, RefreshToken
from app.principal.changes import principals_changed

log = structlog.get_logger("sanggar.auth")


def register(
    session: Session, settings: Settings, *, data: RegisterRequest, locale: Locale | None = None
) -> Member:
    """A new member; `locale` is the language their request asked for, if one of ours: their
    mails (the welcome first) are written in it until they choose another."""
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
        locale=locale,
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
        raise InvitationRequired(N_("Registration is by invitation; send an `invite_code`."))
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
        raise InvitationRequired(N_("This invitation code is unknown, used or expired."))
    return claimed


def login(
    session: Session, settings: Settings, *, username: str, password: str, user_agent: str | None
) -> TokenResponse:
    member = members.find_by_login(session, username)
    if member is None:
        # Spend the same time as a real check so response times do not reveal who exists.
        verify_password(
            settings,
            password,
            dummy_hash(settings.password_hash_memory_kib, settings.password_hash_time_cost),
        )
        raise InvalidCredentials(N_("Wrong email, handle or password."))
    valid, new_hash = verify_password(settings, password, member.password_hash)
    if not valid or not member.is_active:
        raise InvalidCredentials(N_("Wrong email, handle or password."))
    if new_hash is not None:
        member.password_hash = new_hash
        principals_changed(session, member_ids=[member.id])  # type: ignore[list-item]
    stored_agent = clean_user_agent(user_agent)
    auth_session = AuthSession(
        member_id=member.id,  # type: ignore[arg-type]
        user_agent=stored_agent,
        client=describe_client(stored_agent),
    )
    session.add(auth_session)
    session.flush()
    return issue_tokens(session, settings, member_id=member.id, session_id=auth_session.id)  # type: ignore[arg-type]


def issue_tokens(
    session: Session,
    settings: Settings,
    *,
    member_id: int,
    session_id: int,
    refresh_token: str | None = None,
) -> TokenResponse:
    """A new pair for the log-in, its refresh token stored (random unless one is given)."""
    now = utcnow()
    refresh_token = refresh_token or new_secret()
    session.add(
        RefreshToken(
            session_id=session_id,
            token_hash=hash_secret(refresh_token),
            expires_at=now + timedelta(days=settings.refresh_token_days),
        )
    )
    session.flush()
    return _pair(settings, member_id=member_id, session_id=session_id, refresh_token=refresh_token)


def _pair(
    settings: Settings, *, member_id: int, session_id: int, refresh_token: str
) -> TokenResponse:
    now = utcnow()
    return TokenResponse(
        access_token=create_access_token(
            settings, member_id=member_id, session_id=session_id, now=now
        ),
        token_type="bearer",  # noqa: S106 - the OAuth2 token type, not a secret
        expires_in=settings.access_token_minutes * 60,
        refresh_token=refresh_token,
    )


def successor_secret(settings: Settings, refresh_token: str) -> str:
    """The refresh token that replaces this one, derived from it with the server's key.

    Only hashes are stored, so a token once issued cannot be read back; derived, the
    successor can be computed again when the same token comes back within the grace window
    (`refresh_reuse_grace_seconds`), and both callers hold the same pair. Knowing a token
    without the key tells nothing about its successor."""
    digest = hmac.new(
        settings.signing_key().encode(),
        b"sanggar refresh successor\x00" + refresh_token.encode(),
        hashlib.sha256,
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def refresh(session: Session, settings: Settings, *, refresh_token: str) -> TokenResponse:
    """Exchanges a refresh token for a new pair. The same token again within the grace
    window gets the same successor (concurrent tabs); after it, the whole chain is revoked."""
    now = utcnow()
    found = session.exec(
        select(RefreshToken, AuthSession, Member)
        .join(AuthSession, col(AuthSession.id) == RefreshToken.session_id)
        .join(Member, col(Member.id) == AuthSession.member_id)
        .where(RefreshToken.token_hash == hash_secret(refresh_token))
    ).first()
    if found is None:
        raise InvalidRefreshToken(N_("Unknown refresh token."))
    token, auth_session, member = found
    if auth_session.revoked_at is not None or not member.is_active or token.expires_at <= now:
        raise InvalidRefreshToken(N_("This refresh token is expired or revoked; log in again."))
    # Conditional UPDATE: of two concurrent exchanges of one token exactly one wins.
    exchanged = rows_affected(
        session.execute(
            sa.update(RefreshToken)
            .where(col(RefreshToken.id) == token.id, col(RefreshToken.used_at).is_(None))
            .values(used_at=now)
        )
    )
    member_id: int = member.id  # type: ignore[assignment]
    session_id: int = auth_session.id  # type: ignore[assignment]
    successor = successor_secret(settings, refresh_token)
    if exchanged == 1:
        return issue_tokens(
            session, settings, member_id=member_id, session_id=session_id, refresh_token=successor
        )
    if _within_grace(session, settings, token_id=token.id, successor=successor):  # type: ignore[arg-type]
        # The access token is minted again: as valid as the first, for the same log-in.
        return _pair(settings, member_id=member_id, session_id=session_id, refresh_token=successor)
    _revoke_session(session, session_id=session_id)
    log.warning("refresh_token_reused", member_id=member_id, session_id=session_id)
    raise RefreshTokenReused(
        N_(
            "This refresh token was already exchanged and its grace window has "
            "passed; the log-in is revoked. Log in again."
        )
    )


def _within_grace(session: Session, settings: Settings, *, token_id: int, successor: str) -> bool:
    """Whether the token was exchanged moments ago for `successor`, which still exists.

    Read afresh: on PostgreSQL the losing exchange waited for the winner's commit and now
    sees its stamp and its successor (on SQLite the write lock ordered them already)."""
    used_at = session.exec(
        select(RefreshToken.used_at).where(col(RefreshToken.id) == token_id)
    ).one()
    grace = timedelta(seconds=settings.refresh_reuse_grace_seconds)
    if used_at is None or utcnow() - used_at > grace:
        return False
    stored = session.exec(
        select(RefreshToken.id).where(RefreshToken.token_hash == hash_secret(successor))
    ).first()
    return stored is not None


def logout(session: Session, *, refresh_token: str) -> None:
    session_id = session.exec(
        select(RefreshToken.session_id).where(RefreshToken.token_hash == hash_secret(refresh_token))
    ).first()
    if session_id is not None:
        _revoke_session(session, session_id=session_id)


def _revoke_session(session: Session, *, session_id: int) -> None:
    """Ends the log-in: its access tokens stop working, remembered or not."""
    revoked = (
        session.execute(
            sa.update(AuthSession)
            .where(col(AuthSession.id) == session_id, col(AuthSession.revoked_at).is_(None))
            .values(revoked_at=utcnow())
            .returning(col(AuthSession.member_id))
        )
        .scalars()
        .all()
    )
    principals_changed(session, member_ids=revoked)
