from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response

from app.core.db import SessionDep
from app.core.deps import SettingsDep
from app.core.http import (
    CONDITIONAL_GET_RESPONSES,
    CONDITIONAL_WRITE_RESPONSES,
    json_response,
    require_current,
)
from app.core.openapi import problems
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.core.types import IdPath
from app.events import access, calendar, check_ins, feeds, presenters, reads, rsvps, series
from app.events.schemas import (
    CalendarFilters,
    CalendarToken,
    CheckInCreate,
    CheckInPage,
    CheckInPublic,
    EditScope,
    EventCreate,
    EventFilters,
    EventPage,
    EventPublic,
    EventUpdate,
    RsvpPage,
    RsvpPublic,
    RsvpUpdate,
)
from app.models import RsvpStatus
from app.principal.dependencies import (
    CreationDep,
    CurrentMember,
    OptionalMember,
    OptionalReader,
    OrganizerMember,
)
from app.readmodels import read, read_in_thread

events_router = ResourceRouter(prefix="/events", tags=["events"])
# The member's own feed lives under /members/me but belongs to events.
feed_router = ResourceRouter(prefix="/members/me", tags=["events"])

ScopeQuery = Annotated[
    EditScope,
    Query(
        description="`this`: only this occurrence. `following`: this occurrence and every "
        "later one of its series; changed times move each later occurrence by the same "
        "wall-clock shift and give it the same duration."
    ),
]
ALREADY_CHECKED_IN: dict[int | str, dict[str, Any]] = {
    200: {"model": CheckInPublic, "description": "Already checked in: the same check-in."}
}
FeedToken = Annotated[
    str,
    Query(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The secret from `POST /api/v1/members/me/calendar-token`.",
    ),
]


@events_router.post(
    "",
    status_code=201,
    response_model=EventPublic,
    summary="Create an event or a series",
)
def events_create(
    session: SessionDep, organizer: OrganizerMember, data: EventCreate, creation: CreationDep
) -> Response:
    """Organizers create an event, or with `repeat` a series (its first occurrence returned)."""
    event = series.create_event(session, organizer=organizer, data=data)
    public = presenters.present(session, event, viewer=organizer)
    return creation.created(public, location=f"/api/v1/events/{event.id}")


@events_router.get("", response_model=EventPage, summary="List events")
async def events_list(
    request: Request,
    viewer: OptionalReader,
    page: PageParamsDep,
    filters: Annotated[EventFilters, Query()],
) -> EventPage:
    """Published and cancelled events (organizers also see drafts), ordered by start time."""
    # A filtered list may walk many events to fill a page; unfiltered, it is a keyset page.
    run = read_in_thread if filters.model_dump(exclude_none=True) else read
    items, next_cursor = await run(request, reads.page, filters=filters, params=page, viewer=viewer)
    return EventPage(items=items, next_cursor=next_cursor)


@events_router.get(
    ".ics",
    response_class=Response,
    summary="Calendar feed of upcoming events",
    responses=calendar.CALENDAR_RESPONSES,
)
def events_calendar(
    request: Request, session: SessionDep, filters: Annotated[CalendarFilters, Query()]
) -> Response:
    """iCalendar feed of published and cancelled events that have not ended (the next 500)."""
    events = feeds.feed_events(session, filters=filters)
    body = calendar.build(events, name="Sanggar events")
    return calendar.response(request, body, filename="sanggar-events.ics")


# Declared before /{event_id} so that "/events/7.ics" is not read as an event id.
@events_router.get(
    "/{event_id}.ics",
    response_class=Response,
    summary="One event as iCalendar",
    responses=calendar.CALENDAR_RESPONSES | problems(404),
)
def events_event_calendar(
    request: Request, session: SessionDep, viewer: OptionalMember, event_id: IdPath
) -> Response:
    """The event as an iCalendar file, to add it to a calendar app."""
    event = access.get_visible(session, event_id=event_id, viewer=viewer)
    online = [event_id] if presenters.sees_online_url(session, event, viewer=viewer) else []
    body = calendar.build([event], name=event.title, online_ids=online)
    return calendar.response(request, body, filename=f"event-{event_id}.ics")


@events_router.get(
    "/{event_id}",
    response_model=EventPublic,
    summary="Get an event",
    responses=CONDITIONAL_GET_RESPONSES | problems(404),
)
async def events_get(request: Request, viewer: OptionalReader, event_id: IdPath) -> Response:
    """One event with its seats; drafts are visible to organizers only."""
    shown = await read(request, reads.event, event_id=event_id, viewer=viewer)
    return json_response(request, shown)


@events_router.patch(
    "/{event_id}",
    response_model=EventPublic,
    summary="Update an event (or it and the rest of its series)",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(404, 409, 412),
)
def events_update(
    request: Request,
    session: SessionDep,
    organizer: OrganizerMember,
    event_id: IdPath,
    changes: EventUpdate,
    scope: ScopeQuery = EditScope.THIS,
) -> Response:
    """Organizers edit; send `If-Match`. Capacity below the going count is a 409, raising it
    promotes from the waitlist; `status: cancelled` notifies everyone going."""
    target, occurrences = series.lock_for_edit(
        session, event_id=event_id, viewer=organizer, scope=scope
    )
    require_current(request, presenters.present(session, target, viewer=organizer))
    event = series.update_events(
        session, target=target, occurrences=occurrences, changes=changes, actor=organizer
    )
    return json_response(request, presenters.present(session, event, viewer=organizer))


@events_router.delete(
    "/{event_id}",
    status_code=204,
    summary="Delete an event (or it and the rest of its series)",
    responses=problems(404),
)
def events_delete(
    session: SessionDep,
    organizer: OrganizerMember,
    event_id: IdPath,
    scope: ScopeQuery = EditScope.THIS,
) -> Response:
    """Removes the event with its RSVPs and check-ins; to tell attendees, cancel it instead."""
    _, occurrences = series.lock_for_edit(session, event_id=event_id, viewer=organizer, scope=scope)
    series.delete_events(session, occurrences=occurrences)
    return Response(status_code=204)


@events_router.get(
    "/{event_id}/rsvp",
    response_model=RsvpPublic,
    summary="Get my RSVP",
    responses=problems(404),
)
def events_get_rsvp(session: SessionDep, member: CurrentMember, event_id: IdPath) -> RsvpPublic:
    """The caller's answer to the event, with their place on the waitlist."""
    rsvp = rsvps.get_rsvp(session, event_id=event_id, member=member)
    return presenters.present_rsvps(session, [rsvp], known=[member])[0]


@events_router.put(
    "/{event_id}/rsvp",
    response_model=RsvpPublic,
    summary="RSVP to an event",
    responses=problems(404, 409),
)
def events_rsvp(
    session: SessionDep, member: CurrentMember, event_id: IdPath, data: RsvpUpdate
) -> RsvpPublic:
    """`going` takes a seat, or a place on the waitlist when the event is full (`waitlisted`)."""
    rsvp = rsvps.set_rsvp(session, event_id=event_id, member=member, choice=data.status)
    return presenters.present_rsvps(session, [rsvp], known=[member])[0]


@events_router.delete(
    "/{event_id}/rsvp",
    status_code=204,
    summary="Withdraw my RSVP",
    responses=problems(404, 409),
)
def events_cancel_rsvp(session: SessionDep, member: CurrentMember, event_id: IdPath) -> Response:
    """Gives up the caller's seat (the first on the waitlist gets it) or place in line."""
    rsvps.delete_rsvp(session, event_id=event_id, member=member)
    return Response(status_code=204)


@events_router.get(
    "/{event_id}/rsvps",
    response_model=RsvpPage,
    summary="List an event's RSVPs",
    responses=problems(403, 404),
)
def events_list_rsvps(
    session: SessionDep,
    member: CurrentMember,
    event_id: IdPath,
    page: PageParamsDep,
    status: Annotated[RsvpStatus | None, Query(description="Only this answer.")] = None,
) -> RsvpPage:
    """Members see who is going or interested; organizers also the waitlist (in line order)."""
    answers, next_cursor = rsvps.list_rsvps(
        session, event_id=event_id, status=status, params=page, viewer=member
    )
    return RsvpPage(items=presenters.present_rsvps(session, answers), next_cursor=next_cursor)


@events_router.post(
    "/{event_id}/check-ins",
    status_code=201,
    response_model=CheckInPublic,
    summary="Check a member in",
    responses=ALREADY_CHECKED_IN | problems(404, 409),
)
def events_check_in(
    request: Request,
    session: SessionDep,
    organizer: OrganizerMember,
    event_id: IdPath,
    data: CheckInCreate,
    creation: CreationDep,
) -> Response:
    """Organizers mark attendance: 201 the first time, 200 with the same check-in after."""
    check_in, created = check_ins.check_in(
        session, event_id=event_id, member_id=data.member_id, organizer=organizer
    )
    public = presenters.present_check_ins(session, [check_in])[0]
    if not created:
        return json_response(request, public)
    return creation.created(
        public, location=f"/api/v1/events/{event_id}/check-ins/{data.member_id}"
    )


@events_router.get(
    "/{event_id}/check-ins",
    response_model=CheckInPage,
    summary="List an event's check-ins",
    responses=problems(404),
)
def events_list_check_ins(
    session: SessionDep, organizer: OrganizerMember, event_id: IdPath, page: PageParamsDep
) -> CheckInPage:
    """Who attended, in check-in order (organizers)."""
    attended, next_cursor = check_ins.list_check_ins(
        session, event_id=event_id, params=page, viewer=organizer
    )
    items = presenters.present_check_ins(session, attended)
    return CheckInPage(items=items, next_cursor=next_cursor)


@events_router.get(
    "/{event_id}/check-ins/{member_id}",
    response_model=CheckInPublic,
    summary="Get a check-in",
    responses=problems(404),
)
def events_get_check_in(
    session: SessionDep, organizer: OrganizerMember, event_id: IdPath, member_id: IdPath
) -> CheckInPublic:
    """Whether and when the member was checked in (organizers)."""
    access.get_visible(session, event_id=event_id, viewer=organizer)
    check_in = check_ins.get_check_in(session, event_id=event_id, member_id=member_id)
    return presenters.present_check_ins(session, [check_in])[0]


@feed_router.get(
    "/calendar.ics",
    response_class=Response,
    summary="My calendar feed",
    responses=calendar.CALENDAR_RESPONSES | problems(401),
)
def events_member_calendar(request: Request, session: SessionDep, token: FeedToken) -> Response:
    """The events the token's member is going to, for a calendar app (no headers needed)."""
    member = feeds.member_for_feed_token(session, token=token)
    events = feeds.member_feed_events(session, member=member)
    # They are going to all of these, so the online links are theirs to see.
    online = {event.id for event in events if event.id is not None}
    body = calendar.build(events, name="My Sanggar events", online_ids=online)
    return calendar.response(request, body, filename="my-sanggar-events.ics")


@feed_router.post(
    "/calendar-token",
    status_code=201,
    response_model=CalendarToken,
    summary="Issue my calendar feed token",
)
def events_create_calendar_token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    member: CurrentMember,
    creation: CreationDep,
) -> Response:
    """A new read-only feed URL for calendar apps; the previous one stops working."""
    token = feeds.issue_feed_token(session, member=member)
    base = settings.public_base_url or str(request.base_url)
    url = f"{base.rstrip('/')}/api/v1/members/me/calendar.ics?token={token}"
    # Location names the feed without its secret, which belongs in the body only.
    return creation.created(
        CalendarToken(token=token, url=url), location="/api/v1/members/me/calendar.ics"
    )


@feed_router.delete("/calendar-token", status_code=204, summary="Revoke my calendar feed token")
def events_revoke_calendar_token(session: SessionDep, member: CurrentMember) -> Response:
    """The feed URL stops working at once."""
    feeds.revoke_feed_token(session, member=member)
    return Response(status_code=204)


# Included one by one by app.api: a router inside a router costs a second match per request.
routers = (events_router, feed_router)
