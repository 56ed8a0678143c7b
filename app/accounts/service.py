"""Changing the password and managing one's log-ins."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.accounts.exceptions import LogInNotFound, WrongPassword
from app.accounts.schemas import LogInOut
from app.core import domain_events
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.pagination import PageParams, desc, paginate
from app.core.security import hash_password, verify_password
from app.models import AuthSession, Member, RefreshToken
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
            user_agent=None,
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
