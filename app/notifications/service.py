from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.core.db import rows_affected
from app.core.pagination import PageParams, desc, paginate
from app.models import Member, Notification, Role


def notify(
    session: Session, *, member_id: int, type: str, title: str, body: str = "", **data: Any
) -> None:
    notification = Notification(
        member_id=member_id, type=type, title=_clip(title, 200), body=_clip(body, 2000), data=data
    )
    session.add(notification)


def _clip(text: str, limit: int) -> str:
    """Titles quote what members wrote (an event's name); they must fit their column, not 500."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def notify_role(
    session: Session,
    *,
    roles: Iterable[Role],
    type: str,
    title: str,
    body: str = "",
    exclude_id: int | None = None,
    **data: Any,
) -> None:
    """One INSERT … SELECT for every active member with these roles, however many there are."""
    recipients = sa.select(
        col(Member.id),
        sa.literal(type),
        sa.literal(_clip(title, 200)),
        sa.literal(_clip(body, 2000)),
        sa.literal(data, type_=sa.JSON),
        sa.literal(utcnow(), type_=Notification.__table__.c.created_at.type),  # type: ignore[attr-defined]
    ).where(col(Member.role).in_(list(roles)), col(Member.is_active).is_(True))
    if exclude_id is not None:
        recipients = recipients.where(col(Member.id) != exclude_id)
    columns = ["member_id", "type", "title", "body", "data", "created_at"]
    session.execute(sa.insert(Notification).from_select(columns, recipients))


def list_notifications(
    session: Session, *, member: Member, unread_only: bool, params: PageParams
) -> tuple[list[Notification], str | None]:
    statement = select(Notification).where(Notification.member_id == member.id)
    if unread_only:
        statement = statement.where(col(Notification.read_at).is_(None))
    return paginate(session, statement, keys=[desc(Notification.id)], params=params)


def unread_count(session: Session, *, member: Member) -> int:
    return session.exec(
        select(sa.func.count())
        .select_from(Notification)
        .where(Notification.member_id == member.id, col(Notification.read_at).is_(None))
    ).one()


def mark_read(session: Session, *, member: Member, ids: list[int] | None) -> int:
    statement = sa.update(Notification).where(
        col(Notification.member_id) == member.id, col(Notification.read_at).is_(None)
    )
    if ids is not None:
        statement = statement.where(col(Notification.id).in_(ids))
    return rows_affected(session.execute(statement.values(read_at=utcnow())))
