from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.core.db import SessionDep
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.notifications import service
from app.notifications.dependencies import CaughtUpMember
from app.notifications.schemas import (
    MarkRead,
    MarkReadResult,
    NotificationPage,
    NotificationPublic,
    UnreadCount,
)

router = ResourceRouter(prefix="/notifications", tags=["notifications"])


@router.get("", response_model=NotificationPage, summary="List my notifications")
def notifications_list(
    session: SessionDep,
    member: CaughtUpMember,
    page: PageParamsDep,
    unread_only: Annotated[bool, Query(description="Only notifications not yet read.")] = False,
) -> NotificationPage:
    """The caller's notifications, newest first (announcements included)."""
    rows, next_cursor = service.list_notifications(
        session, member=member, unread_only=unread_only, params=page
    )
    items = [NotificationPublic.model_validate(n, from_attributes=True) for n in rows]
    return NotificationPage(items=items, next_cursor=next_cursor)


@router.get("/unread-count", response_model=UnreadCount, summary="Count my unread notifications")
def notifications_unread_count(session: SessionDep, member: CaughtUpMember) -> UnreadCount:
    """How many of the caller's notifications are unread (for a badge on the bell)."""
    return UnreadCount(unread=service.unread_count(session, member=member))


@router.post("/read", response_model=MarkReadResult, summary="Mark notifications read")
def notifications_mark_read(
    session: SessionDep, member: CaughtUpMember, data: MarkRead
) -> MarkReadResult:
    """Mark the given notifications, or all of them, as read."""
    marked = service.mark_read(session, member=member, ids=data.ids)
    return MarkReadResult(marked=marked, unread=service.unread_count(session, member=member))
