"""iCalendar (RFC 5545) feeds of events, built with the `icalendar` library.

Each event is one VEVENT with a stable UID, its wall-clock times in its own TZID (with the
matching VTIMEZONE), a SEQUENCE bumped on every edit and STATUS:CANCELLED once cancelled, so
a subscribed calendar app updates or strikes through its copy instead of duplicating it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response

from app.core.http import etag_of, holds_current
from app.models import Event, EventStatus

if TYPE_CHECKING:
    from icalendar import Component
    from icalendar import Event as VEvent

PRODID = "-//Sanggar//Events//EN"
MEDIA_TYPE = "text/calendar; charset=utf-8"
_STATUS = {
    EventStatus.PUBLISHED: "CONFIRMED",
    EventStatus.CANCELLED: "CANCELLED",
    EventStatus.DRAFT: "TENTATIVE",
}

CALENDAR_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An iCalendar (RFC 5545) document.",
        "content": {"text/calendar": {"schema": {"type": "string"}}},
        "headers": {
            "ETag": {"description": "Version of this calendar.", "schema": {"type": "string"}}
        },
    },
    304: {"description": "Not modified: the `If-None-Match` ETag is current."},
}


def uid(event: Event) -> str:
    return f"event-{event.id}@sanggar"


def _vevent(event: Event, *, online_url: str | None) -> VEvent:
    from icalendar import Event as VEvent

    zone = ZoneInfo(event.timezone)
    vevent = VEvent()
    vevent.add("uid", uid(event))
    # No METHOD on the calendar, so DTSTAMP is when the event was last revised (§3.8.7.2).
    vevent.add("dtstamp", event.updated_at)
    vevent.add("created", event.created_at)
    vevent.add("last-modified", event.updated_at)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstart", event.starts_at.astimezone(zone))
    vevent.add("dtend", event.ends_at.astimezone(zone))
    vevent.add("summary", event.title)
    vevent.add("status", _STATUS[EventStatus(event.status)])
    vevent.add("categories", [event.kind])
    description = event.description
    if online_url:
        vevent.add("url", online_url)
        description = f"{description}\n\nJoin online: {online_url}".strip()
    if description:
        vevent.add("description", description)
    location = ", ".join(part for part in (event.venue, event.city) if part)
    if location or online_url:
        vevent.add("location", location or online_url)
    return vevent


def _timezones_first(component: Component) -> tuple[int, str]:
    if component.name == "VTIMEZONE":
        return 0, str(component["TZID"])
    return 1, ""  # the sort is stable: events keep their order


def build(events: Sequence[Event], *, name: str, online_ids: Collection[int] = ()) -> bytes:
    """The calendar document; `online_ids` are the events whose online link may be shown."""
    # Imported at the first feed, here and above: icalendar adds 3 MiB to a worker.
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for event in events:
        online_url = event.online_url if event.id in online_ids else None
        calendar.add_component(_vevent(event, online_url=online_url))
    if events:
        # VTIMEZONEs cover the whole years these events fall in, not 1970–2038: small
        # documents, and rules that stay right however late a series runs.
        first = date(min(e.starts_at for e in events).year - 1, 12, 31)
        last = date(max(e.ends_at for e in events).year + 1, 1, 1)
        calendar.add_missing_timezones(first_date=first, last_date=last)
        # The library adds them in set order; sorting keeps the bytes (and ETag) stable.
        calendar.subcomponents.sort(key=_timezones_first)
    document: bytes = calendar.to_ical()
    return document


def response(request: Request, body: bytes, *, filename: str) -> Response:
    """`text/calendar` with an ETag, and a 304 to a calendar app that has this version."""
    etag = etag_of(body)
    if holds_current(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    headers = {"ETag": etag, "Content-Disposition": f'inline; filename="{filename}"'}
    return Response(body, media_type=MEDIA_TYPE, headers=headers)
