"""Changing and resetting the password, log-ins, and confirming an address by mail."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.accounts.exceptions import (
    EmailAlreadyVerified,
    EmailTaken,
    InvalidToken,
    LogInNotFound,
    MemberNotFound,
    WrongPassword,
)
from app.accounts.schemas import LogInOut
from app.core import domain_events
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.errors import TooManyRequests
from app.core.pagination import PageParams, desc, paginate
from app.core.security import hash_password, hash_secret, new_secret, verify_password
from app.models import AccountToken, AccountTokenPurpose, AuthSession, Member, RefreshToken
from app.principal.changes import principals_changed


def change_password(
    session: Session,
    settings: Settings,
    *,
    member: Member,
    current_password: str,
    new_password: str,
    keep_session_id: int | None,
) -> None:
    """Sets a new password; every other log-in of the member ends, the caller's stays."""
    valid, _ = verify_password(settings, current_password, member.password_hash)
    if not valid:
        raise WrongPassword("The current password is wrong.")
    member_id: int = member.id  # type: ignore[assignment]
    session.execute(
        sa.update(Member)
        .where(col(Member.id) == member_id)
        .values(password_hash=hash_password(settings, new_password))
    )
    end_log_ins(session, member_id=member_id, except_session_id=keep_session_id)
    principals_changed(session, member_ids=[member_id])
    domain_events.publish(
        session, domain_events.PasswordChanged(actor_id=member_id, member_id=member_id)
    )


def end_log_ins(session: Session, *, member_id: int, except_session_id: int | None) -> int:
    """Revokes every open log-in of the member but one (None: all); how many ended."""
    statement = sa.update(AuthSession).where(
        col(AuthSession.member_id) == member_id, col(AuthSession.revoked_at).is_(None)
    )
    if except_session_id is not None:
        statement = statement.where(col(AuthSession.id) != except_session_id)
    ended = session.execute(
        statement.values(revoked_at=utcnow()).returning(col(AuthSession.id))
    ).all()
    principals_changed(session, member_ids=[member_id])
    return len(ended)


def list_log_ins(
    session: Session, *, member_id: int, current_session_id: int | None, params: PageParams
) -> tuple[list[LogInOut], str | None]:
    """The member's open log-ins, newest first."""
    statement = select(AuthSession).where(
        AuthSession.member_id == member_id, col(AuthSession.revoked_at).is_(None)
    )
    rows, next_cursor = paginate(session, statement, keys=[desc(AuthSession.id)], params=params)
    ids = [row.id for row in rows]
    last_used: dict[int, datetime] = {}
    for row_id, used in session.execute(
        sa.select(col(RefreshToken.session_id), sa.func.max(col(RefreshToken.created_at)))
        .where(col(RefreshToken.session_id).in_(ids))
        .group_by(col(RefreshToken.session_id))
    ):
        last_used[row_id] = used
    items = [
        LogInOut(
            id=row.id,
            created_at=row.created_at,
            last_used_at=last_used.get(row.id, row.created_at),
            user_agent=row.user_agent,
            client=row.client,
            current=row.id == current_session_id,
        )
        for row in rows
    ]
    return items, next_cursor


def end_log_in(session: Session, *, member_id: int, session_id: int) -> None:
    """Ends one of the member's log-ins: its refresh token and access tokens stop at once."""
    ended = session.execute(
        sa.update(AuthSession)
        .where(
            col(AuthSession.id) == session_id,
            col(AuthSession.member_id) == member_id,
            col(AuthSession.revoked_at).is_(None),
        )
        .values(revoked_at=utcnow())
        .returning(col(AuthSession.id))
    ).first()
    if ended is None:
        raise LogInNotFound(f"You have no open log-in {session_id}.")
    principals_changed(session, member_ids=[member_id])


# --- mailed tokens: only their hashes are stored --------------------------------------------


def _issue_token(
    session: Session,
    *,
    purpose: AccountTokenPurpose,
    member_id: int,
    lifetime: timedelta,
    new_email: str | None = None,
) -> str:
    secret = new_secret()
    session.add(
        AccountToken(
            purpose=purpose,
            member_id=member_id,
            token_hash=hash_secret(secret),
            new_email=new_email,
            expires_at=utcnow() + lifetime,
        )
    )
    session.flush()
    return secret


def _consume_token(
    session: Session, *, token: str, purposes: tuple[AccountTokenPurpose, ...]
) -> AccountToken:
    """Marks the token used in one conditional UPDATE: of two uses exactly one succeeds."""
    now = utcnow()
    consumed = session.execute(
        sa.update(AccountToken)
        .where(
            col(AccountToken.token_hash) == hash_secret(token),
            col(AccountToken.purpose).in_([p.value for p in purposes]),
            col(AccountToken.used_at).is_(None),
            col(AccountToken.expires_at) > now,
        )
        .values(used_at=now)
        .returning(
            col(AccountToken.id),
            col(AccountToken.purpose),
            col(AccountToken.member_id),
            col(AccountToken.new_email),
        )
    ).first()
    if consumed is None:
        raise InvalidToken("This token is unknown, already used or expired; ask for a new one.")
    return AccountToken(
        id=consumed[0],
        purpose=consumed[1],
        member_id=consumed[2],
        new_email=consumed[3],
        token_hash="",
        expires_at=now,
    )


def _retire_tokens(session: Session, *, member_id: int, purpose: AccountTokenPurpose) -> None:
    """Every other unused token of this purpose stops working (a newer one, or it is done)."""
    session.execute(
        sa.update(AccountToken)
        .where(
            col(AccountToken.member_id) == member_id,
            col(AccountToken.purpose) == purpose.value,
            col(AccountToken.used_at).is_(None),
        )
        .values(used_at=utcnow())
    )


# --- forgotten password ----------------------------------------------------------------------


def request_password_reset(session: Session, settings: Settings, *, email: str) -> None:
    """Mails a reset token to an active member with this address; nothing otherwise. Both
    ways spend one password hash and then wait out `password_reset_answer_seconds`, so the
    time taken (writing the mail is the slow part) does not tell whether it exists."""
    started = time.monotonic()
    member = session.exec(select(Member).where(Member.email == email.strip().lower())).first()
    hash_password(settings, new_secret())  # the cost of the answer, whoever asks
    if member is not None and member.is_active:
        _send_password_reset(session, settings, member_id=member.id, by_admin=None)  # type: ignore[arg-type]
    time.sleep(max(0.0, settings.password_reset_answer_seconds - (time.monotonic() - started)))


def admin_password_reset(
    session: Session, settings: Settings, *, admin: Member, member_id: int
) -> None:
    member = session.get(Member, member_id)
    if member is None:
        raise MemberNotFound(f"Member {member_id} does not exist.")
    if not member.is_active:
        raise MemberNotFound(f"Member {member_id} is deactivated; reactivate them first.")
    _send_password_reset(session, settings, member_id=member_id, by_admin=admin.id)


def _send_password_reset(
    session: Session, settings: Settings, *, member_id: int, by_admin: int | None
) -> None:
    token = _issue_token(
        session,
        purpose=AccountTokenPurpose.PASSWORD_RESET,
        member_id=member_id,
        lifetime=timedelta(minutes=settings.password_reset_minutes),
    )
    domain_events.publish(
        session,
        domain_events.PasswordResetRequested(
            actor_id=by_admin,
            member_id=member_id,
            token=token,
            requested_by_admin=by_admin is not None,
        ),
    )


def confirm_password_reset(
    session: Session, settings: Settings, *, token: str, new_password: str
) -> None:
    """Sets the new password and ends every log-in of the member."""
    consumed = _consume_token(session, token=token, purposes=(AccountTokenPurpose.PASSWORD_RESET,))
    member_id = consumed.member_id
    changed = session.execute(
        sa.update(Member)
        .where(col(Member.id) == member_id, col(Member.is_active).is_(True))
        .values(password_hash=hash_password(settings, new_password))
        .returning(col(Member.id))
    ).first()
    if changed is None:
        raise InvalidToken("This token is unknown, already used or expired; ask for a new one.")
    _retire_tokens(session, member_id=member_id, purpose=AccountTokenPurpose.PASSWORD_RESET)
    end_log_ins(session, member_id=member_id, except_session_id=None)
    domain_events.publish(session, domain_events.PasswordChanged(member_id=member_id))


# --- email verification and change -----------------------------------------------------------


def send_verification(session: Session, settings: Settings, *, member: Member) -> None:
    """Mails a fresh verification token (earlier ones stop working)."""
    if member.email_verified_at is not None:
        raise EmailAlreadyVerified("Your address is verified already.")
    member_id: int = member.id  # type: ignore[assignment]
    _retire_tokens(session, member_id=member_id, purpose=AccountTokenPurpose.EMAIL_VERIFICATION)
    token = _issue_token(
        session,
        purpose=AccountTokenPurpose.EMAIL_VERIFICATION,
        member_id=member_id,
        lifetime=timedelta(hours=settings.email_token_hours),
    )
    domain_events.publish(
        session,
        domain_events.EmailVerificationRequested(
            actor_id=member_id, member_id=member_id, token=token
        ),
    )


def request_email_change(
    session: Session, settings: Settings, *, member: Member, new_email: str, current_password: str
) -> None:
    """Mails a token to the new address; the old one stays until it is confirmed. The
    password comes first: without it, the answer tells nothing of who has which address."""
    valid, _ = verify_password(settings, current_password, member.password_hash)
    if not valid:
        raise WrongPassword("The current password is wrong.")
    new_email = new_email.strip().lower()
    member_id: int = member.id  # type: ignore[assignment]
    if session.exec(select(Member.id).where(Member.email == new_email)).first() is not None:
        raise EmailTaken("Another account uses this address.")
    _limit_email_changes(session, member_id=member_id)
    _retire_tokens(session, member_id=member_id, purpose=AccountTokenPurpose.EMAIL_CHANGE)
    token = _issue_token(
        session,
        purpose=AccountTokenPurpose.EMAIL_CHANGE,
        member_id=member_id,
        lifetime=timedelta(hours=settings.email_token_hours),
        new_email=new_email,
    )
    domain_events.publish(
        session,
        domain_events.EmailChangeRequested(
            actor_id=member_id, member_id=member_id, new_email=new_email, token=token
        ),
    )


def verify_email(session: Session, *, token: str) -> None:
    """Confirms an address: a new account's, or the new one of an email change."""
    consumed = _consume_token(
        session,
        token=token,
        purposes=(AccountTokenPurpose.EMAIL_VERIFICATION, AccountTokenPurpose.EMAIL_CHANGE),
    )
    member = session.get(Member, consumed.member_id)
    if member is None or not member.is_active:
        raise InvalidToken("This token is unknown, already used or expired; ask for a new one.")
    member_id: int = member.id  # type: ignore[assignment]
    now = utcnow()
    if consumed.purpose == AccountTokenPurpose.EMAIL_CHANGE and consumed.new_email is not None:
        old_email = member.email
        if (
            session.exec(
                select(Member.id).where(Member.email == consumed.new_email, Member.id != member_id)
            ).first()
            is not None
        ):
            raise EmailTaken("Another account took this address meanwhile.")
        session.execute(
            sa.update(Member)
            .where(col(Member.id) == member_id)
            .values(email=consumed.new_email, email_verified_at=now)
        )
        domain_events.publish(
            session, domain_events.EmailChanged(member_id=member_id, old_email=old_email)
        )
    else:
        session.execute(
            sa.update(Member)
            .where(col(Member.id) == member_id, col(Member.email_verified_at).is_(None))
            .values(email_verified_at=now)
        )
    session.expire(member)
    principals_changed(session, member_ids=[member_id])


EMAIL_CHANGES_PER_HOUR = 5


def _limit_email_changes(session: Session, *, member_id: int) -> None:
    """A profile edit may mail a stranger's address: a few an hour per member."""
    since = utcnow() - timedelta(hours=1)
    recent = session.exec(
        select(AccountToken.created_at)
        .where(
            AccountToken.member_id == member_id,
            AccountToken.purpose == AccountTokenPurpose.EMAIL_CHANGE.value,
            col(AccountToken.created_at) > since,
        )
        .order_by(col(AccountToken.created_at).desc())
        .limit(EMAIL_CHANGES_PER_HOUR)
    ).all()
    if len(recent) >= EMAIL_CHANGES_PER_HOUR:
        retry = max(1, int((recent[-1] + timedelta(hours=1) - utcnow()).total_seconds()) + 1)
        raise TooManyRequests(
            f"Too many address changes; retry in {retry} seconds.",
            headers={"Retry-After": str(retry)},
        )
