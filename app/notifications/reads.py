"""The feed as the API shows it: the read model of `GET /notifications`.

Statements built once, in Core, on a connection (app.readmodels), rows straight into
`NotificationPublic` in the reader's language: whether the feed lacks an announcement (one
read of the end of the announcements' primary key), then the page. A feed that lacks one
is caught up first (app.notifications.service.catch_up): that is a write, so it is not done
by the read, which may run on the event loop; the caller does it in a worker thread and
reads again (`Behind`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from app.core.pagination import PageParams, desc, paginate_rows
from app.models import Announcement, Member, Notification
from app.notifications import service
from app.notifications.schemas import NotificationPublic
from app.readmodels import ReadStatement

_NOTIFICATIONS = cast(sa.Table, Notification.__table__)  # type: ignore[attr-defined]
_ANNOUNCEMENTS = cast(sa.Table, Announcement.__table__)  # type: ignore[attr-defined]

_NEWEST_ANNOUNCEMENT = ReadStatement(sa.select(sa.func.max(_ANNOUNCEMENTS.c.id)))
_FEED = sa.select(
    *(
        _NOTIFICATIONS.c[name]
        for name in ("id", "type", "title", "body", "data", "texts", "created_at", "read_at")
    )
).where(_NOTIFICATIONS.c.member_id == sa.bindparam("member_id"))
# Built once: the whole feed, or what is unread.
_FEEDS = {False: _FEED, True: _FEED.where(_NOTIFICATIONS.c.read_at.is_(None))}
# By time, not id: an announcement copied into the feed at the member's first look
# carries the announcement's time, so it sorts among what happened then.
_PAGE_KEYS = [desc(Notification.created_at), desc(Notification.id)]


@dataclass(frozen=True)
class Behind:
    """The feed lacks the announcements up to `upto`: catch it up, then read it."""

    upto: int


def feed(
    connection: Connection,
    *,
    member: Member,
    unread_only: bool,
    params: PageParams,
    locale: str,
    caught_up: bool = False,
) -> tuple[list[NotificationPublic], str | None] | Behind:
    """A page of the member's notifications, newest first, in `locale`; or `Behind` when
    announcements must be copied into it first (unless it was just `caught_up`)."""
    if not caught_up:
        newest = _NEWEST_ANNOUNCEMENT.scalar(connection)
        if newest is not None and newest > member.announcements_seen_id:
            return Behind(newest)
    statement = _FEEDS[unread_only].params(member_id=member.id)
    rows, next_cursor = paginate_rows(connection, statement, keys=_PAGE_KEYS, params=params)
    return [NotificationPublic.of(row, locale) for row in rows], next_cursor


def catch_up(engine: Engine, *, member: Member, upto: int) -> None:
    """Copies the announcements up to `upto` into the member's feed, in a short write
    transaction of its own."""
    with Session(engine) as writer:
        service.catch_up(writer, member=member, upto=upto)
        writer.commit()
