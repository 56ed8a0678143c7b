from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.core.db import NO_SYNC, rows_affected, tell_after_commit, upsert_insert
from app.i18n import N_, Locale, message
from app.models import Announcement, Member, Notification, Role
from app.notifications.texts import BODY_LIMIT, TITLE_LIMIT, clip, render, stored
from app.principal.changes import principals_changed

ANNOUNCEMENT = "announcement.published"
# Told after a commit that wrote notifications or marked them read: the member ids, or
# EVERYONE (app.notifications.live wakes those members' open streams).
LIVE_TOPIC = "notifications"
EVERYONE = 0
LIVE_FAN_OUT = 1000  # more recipients than this are told as EVERYONE


@dataclass(frozen=True, slots=True)
class Along:
    """What is sent instead of a notification's bare INSERT: a statement built on `WRITE`
    (inside WITH on PostgreSQL, which runs an INSERT there whether or not the query reads
    it; with RETURNING on SQLite) that also reads, or writes, what a hook needs: one round
    trip instead of two or more. `parameters`: its own, besides the notification's."""

    statement: sa.Executable
    parameters: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Written:
    """A notification `notify` wrote, as its hooks read it: its row's values, not an entity
    (building an entity costs more CPU than the INSERT that writes the row)."""

    member_id: int
    type: str
    title: str
    body: str
    data: dict[str, Any]
    texts: dict[str, Any]
    created_at: datetime
    # What was sent with the INSERT (`send_along`), and the first row it returned.
    along: Along | None = None
    row: sa.Row[Any] | None = None


# Run for every notification `notify` writes, in its transaction (app/mail mails it when
# the member wants that kind by mail). Registered by a subscribers module.
WrittenHook = Callable[[Session, Written], None]
_written: list[WrittenHook] = []
# Run for every `notify_members` (many recipients in one statement), in its transaction:
# the recipients' condition, the kind and the `texts` (app/mail mails them in batches).
WrittenMany = Callable[[Session, sa.ColumnElement[bool], str, dict[str, Any]], None]
_written_many: list[WrittenMany] = []


_NOTIFICATIONS = cast(sa.Table, Notification.__table__)  # type: ignore[attr-defined]
_WRITTEN = ("member_id", "type", "title", "body", "data", "texts", "created_at")
# The notification's INSERT, its values bound as notification_<column>: not a column's
# name, which an UPDATE sent along would take as a value to SET.
WRITE = sa.insert(_NOTIFICATIONS).values(
    {
        name: sa.bindparam(f"notification_{name}", type_=_NOTIFICATIONS.c[name].type)
        for name in _WRITTEN
    }
)

# Given a notification about to be written and the dialect's name, the statement to send
# in place of its INSERT, if any (app/mail: the member's address and mail settings, and on
# PostgreSQL their mail itself). One at most, registered by a subscribers module.
AlongOf = Callable[[Written, str], Along | None]
_along: list[AlongOf] = []


def send_along(along_of: AlongOf) -> None:
    _along[:] = [along_of]


def on_written(hook: WrittenHook) -> None:
    if hook not in _written:
        _written.append(hook)


def on_written_many(hook: WrittenMany) -> None:
    if hook not in _written_many:
        _written_many.append(hook)


def notify(
    session: Session,
    *,
    member_id: int,
    type: str,
    title: str,
    body: str = "",
    values: dict[str, Any] | None = None,
    **data: Any,
) -> None:
    """`title` and `body` are message ids (`N_()`), filled from `values` in the reader's
    language when shown; the stored `title` and `body` are the English text."""
    texts = stored(title, body, values)
    english_title, english_body = render(texts, Locale.EN)
    notification = Written(member_id, type, english_title, english_body, data, texts, utcnow())
    values = {f"notification_{name}": getattr(notification, name) for name in _WRITTEN}
    # Written at once by a Core INSERT on the Session's connection, not added to the
    # Session: no flush to plan, no identity to keep (the hooks and the callers read no id
    # of it), no ORM execution around it.
    dialect = session.get_bind().dialect.name
    along = _along[0](notification, dialect) if _along else None
    if along is None:
        session.connection().execute(WRITE, values)
    else:
        if session.autoflush:  # what the Session holds unwritten, as an ORM read would
            session.flush()
        row = session.connection().execute(along.statement, values | along.parameters).first()
        notification = replace(notification, along=along, row=row)
    tell_after_commit(session, LIVE_TOPIC, [member_id])
    for hook in _written:
        hook(session, notification)


def name_of(session: Session, member_id: int | None) -> str | dict[str, Any]:
    """How a notification's `values` name a member: `Rina Wijaya (@rina_draws)`; "Someone"
    (in the reader's language) if gone."""
    member = session.get(Member, member_id) if member_id is not None else None
    return f"{member.display_name} (@{member.handle})" if member else message(N_("Someone"))


def notify_members(
    session: Session,
    recipients: sa.ColumnElement[bool],
    *,
    type: str,
    title: str,
    body: str = "",
    values: dict[str, Any] | None = None,
    **data: Any,
) -> None:
    """One INSERT … SELECT for every active member matching `recipients`, however many."""
    texts = stored(title, body, values)
    english_title, english_body = render(texts, Locale.EN)
    rows = sa.select(
        col(Member.id),
        sa.literal(type),
        sa.literal(english_title),
        sa.literal(english_body),
        sa.literal(data, type_=sa.JSON),
        sa.literal(texts, type_=sa.JSON),
        sa.literal(utcnow(), type_=Notification.__table__.c.created_at.type),  # type: ignore[attr-defined]
    ).where(recipients, col(Member.is_active).is_(True))
    columns = ["member_id", "type", "title", "body", "data", "texts", "created_at"]
    told = session.execute(
        sa.insert(Notification).from_select(columns, rows).returning(col(Notification.member_id))
    ).scalars()
    # Their open streams are woken (a large fan-out wakes every stream, one message).
    woken: list[int] = list(itertools.islice(told, LIVE_FAN_OUT + 1))
    if len(woken) > LIVE_FAN_OUT:
        woken = [EVERYONE]
        told.all()
    tell_after_commit(session, LIVE_TOPIC, woken)
    for hook in _written_many:
        hook(session, recipients, type, texts)


def notify_role(
    session: Session,
    *,
    roles: Iterable[Role],
    type: str,
    title: str,
    body: str = "",
    values: dict[str, Any] | None = None,
    exclude_id: int | None = None,
    **data: Any,
) -> None:
    """Every active member with these roles (but `exclude_id`), in one statement."""
    recipients: sa.ColumnElement[bool] = col(Member.role).in_(list(roles))
    if exclude_id is not None:
        recipients = sa.and_(recipients, col(Member.id) != exclude_id)
    notify_members(session, recipients, type=type, title=title, body=body, values=values, **data)


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
    marked = rows_affected(session.execute(statement.values(read_at=utcnow())))
    if marked:
        tell_after_commit(session, LIVE_TOPIC, [member.id])
    return marked


# --- announcements: fan-out on read --------------------------------------------------------
#
# An announcement is one row, never a notification per member at publishing time. Each
# member's `announcements_seen_id` says how far their feed has caught up; a feed read first
# copies the newer announcements (published since the member joined) into it. The cost is
# the announcements that member has not seen yet, whatever the number of members.


def announcements_behind(session: Session, *, member: Member) -> int | None:
    """The newest announcement's id when the member's feed lacks it, else None (one read of
    the end of the primary key)."""
    newest = session.scalar(sa.select(sa.func.max(Announcement.id)))
    return newest if newest is not None and newest > member.announcements_seen_id else None


def catch_up(session: Session, *, member: Member, upto: int) -> None:
    """Copies the announcements up to `upto` the member has not yet seen into their feed.

    Concurrent catch-ups of one member meet at the unique (member_id, announcement_id)
    and insert each announcement once; the watermark only moves forward."""
    announcements = session.execute(
        sa.select(Announcement.id, Announcement.title, Announcement.body, Announcement.created_at)  # type: ignore[call-overload]
        .where(
            col(Announcement.id) > member.announcements_seen_id,
            col(Announcement.id) <= upto,
            col(Announcement.created_at) >= member.joined_at,
        )
        .order_by(col(Announcement.id))
    ).all()
    if announcements:
        rows = [
            {
                "member_id": member.id,
                "type": ANNOUNCEMENT,
                "title": clip(title, TITLE_LIMIT),
                "body": clip(body, BODY_LIMIT),
                "data": {"announcement_id": announcement_id},
                # When it was announced, not when this member first looked.
                "created_at": announced_at,
                "announcement_id": announcement_id,
            }
            for announcement_id, title, body, announced_at in announcements
        ]
        insert = upsert_insert(session, Notification).values(rows)
        session.execute(
            insert.on_conflict_do_nothing(index_elements=["member_id", "announcement_id"])
        )
        tell_after_commit(session, LIVE_TOPIC, [member.id])
    moved = session.execute(
        sa.update(Member)
        .where(col(Member.id) == member.id, col(Member.announcements_seen_id) < upto)
        .values(announcements_seen_id=upto),
        execution_options=NO_SYNC,
    )
    if rows_affected(moved):  # the remembered member still has the old watermark
        principals_changed(session, member_ids=[member.id])  # type: ignore[list-item]
