from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from anyio import to_thread
from fastapi import Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from sse_starlette import EventSourceResponse

from app import i18n
from app.core.db import SessionDep
from app.core.openapi import problems
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.notifications import live, reads, service
from app.notifications.dependencies import CaughtUpMember
from app.notifications.schemas import (
    MarkRead,
    MarkReadResult,
    NotificationPage,
    StreamTicket,
    UnreadCount,
)
from app.principal.dependencies import CurrentMember, CurrentReader, OptionalMember
from app.readmodels import read

router = ResourceRouter(prefix="/notifications", tags=["notifications"])


@router.get("", response_model=NotificationPage, summary="List my notifications")
async def notifications_list(
    request: Request,
    member: CurrentReader,
    page: PageParamsDep,
    unread_only: Annotated[bool, Query(description="Only notifications not yet read.")] = False,
) -> NotificationPage:
    """The caller's notifications, newest first (announcements included), in the caller's
    language (their `locale`, else `Accept-Language`)."""
    locale = i18n.of_request(request.scope, member.locale)
    feed = partial(reads.feed, member=member, unread_only=unread_only, params=page, locale=locale)
    shown = await read(request, feed)
    if isinstance(shown, reads.Behind):  # new announcements: copied in first (a write)
        engine = request.app.state.engine
        await run_in_threadpool(reads.catch_up, engine, member=member, upto=shown.upto)
        shown = await read(request, feed, caught_up=True)
    assert not isinstance(shown, reads.Behind)
    items, next_cursor = shown
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


STREAM_PATH = "/api/v1/notifications/stream"
STREAM_EXAMPLE = (
    'event: unread\r\ndata: {"unread": 2}\r\n\r\n'
    ": ping - 2026-12-05 21:00:15.000000+00:00\r\n\r\n"
    'event: notification\r\nid: 31\r\ndata: {"id": 31, "type": "member.joined", ...}\r\n\r\n'
    'event: unread\r\ndata: {"unread": 3}\r\n\r\n'
)


@router.post(
    "/stream-ticket",
    response_model=StreamTicket,
    summary="Get a ticket to open my notification stream",
)
def notifications_stream_ticket(request: Request, member: CurrentMember) -> StreamTicket:
    """A single-use ticket, valid 60 seconds, for `GET /notifications/stream?ticket=…` (a
    browser's EventSource cannot send an Authorization header). Get a new one for every
    (re)connection."""
    assert member.id is not None
    ticket, expires_at = live.issue_ticket(request.app.state.settings, member.id)
    return StreamTicket(ticket=ticket, expires_at=expires_at)


@router.get(
    "/stream",
    summary="Stream my notifications as they happen",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "Server-sent events: `notification` (data: the notification as the "
            "feed shows it; id: its id) and `unread` (`{unread}`), heartbeat comments.",
            "content": {
                "text/event-stream": {"schema": {"type": "string"}, "example": STREAM_EXAMPLE}
            },
        },
        **problems(429),
    },
)
async def notifications_stream(
    request: Request,
    session: SessionDep,
    member: OptionalMember,
    ticket: Annotated[
        str | None,
        Query(
            max_length=300,
            description="A ticket from `POST /notifications/stream-ticket`, "
            "instead of an Authorization header (single use).",
        ),
    ] = None,
    last_event_id: Annotated[
        str | None,
        Query(
            max_length=20,
            description="Replay what came after this notification id (for a "
            "new connection; the `Last-Event-ID` header, sent by EventSource's own reconnects, "
            "wins).",
        ),
    ] = None,
    last_event_id_header: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=20, include_in_schema=False)
    ] = None,
) -> Any:
    """The caller's new notifications as they are written, on any app process, and the
    unread count when it changes. Opening it sends the unread count; with `Last-Event-ID`
    (or `last_event_id`) first the notifications after that id (up to 500)."""
    # The request's Session (the token's look-up) gives its connection back now: this route
    # is not admission-limited, so opening streams must never hold connections while they
    # wait for a worker thread (a stall once the pool is out of connections).
    member_id = member.id if member is not None else None
    session.close()
    state = request.app.state
    hub: live.LiveHub = state.live_hub
    if member_id is None:
        if ticket is None:
            raise live.InvalidStreamTicket()
        member_id = live.ticket_member(state.settings, ticket)
        if hub.redis is not None:
            spent = await to_thread.run_sync(hub.spend_with_redis, ticket)
        else:
            spent = await to_thread.run_sync(live.spend_in_database, state.engine, ticket)
        if (
            not spent
            or await to_thread.run_sync(live.active_member, state.read_engine, member_id) is None
        ):
            raise live.InvalidStreamTicket()
    assert member_id is not None
    slot = (
        hub.take_slot(member_id)  # a dict under a lock
        if hub.redis is None
        else await to_thread.run_sync(hub.take_slot, member_id)
    )
    if slot is None:
        raise live.TooManyStreams(hub.max_streams, retry_after=int(hub.heartbeat) + 1)
    after = live.parse_last_event_id(last_event_id_header or last_event_id)
    stream = live.events(
        hub, state.read_engine, state.engine, member_id, slot, after, request.scope
    )
    return live.StreamResponse(
        stream,
        hub=hub,
        member_id=member_id,
        slot=slot,
        ping=hub.heartbeat,
        headers={"Cache-Control": "no-store"},
    )
