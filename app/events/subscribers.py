"""What members hear about events: a seat came free for them, or an event was cancelled."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.core.domain_events import (
    EventCancelled,
    EventWaitlistPromoted,
    subscribe,
)
from app.models import Event, EventRsvp, RsvpStatus
from app.notifications.service import notify


def _when(event: Event) -> str:
    """The start on the event's own wall clock, as members will read it."""
    local = event.starts_at.astimezone(ZoneInfo(event.timezone))
    return f"{local:%A %d %B %Y, %H:%M} ({event.timezone})"


def _event(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id)
    assert event is not None
    return event


@subscribe(EventWaitlistPromoted)
def tell_promoted_member(session: Session, domain_event: EventWaitlistPromoted) -> None:
    event = _event(session, domain_event.event_id)
    notify(
        session,
        member_id=domain_event.member_id,
        type="event.waitlist_promoted",
        title=f"A spot opened up: you're going to {event.title}",
        body=f"You moved up from the waitlist. See you on {_when(event)}; if you can't make "
        "it any more, cancel your RSVP so the next person gets the spot.",
        event_id=event.id,
    )


@subscribe(EventCancelled)
def tell_attendees_event_cancelled(session: Session, domain_event: EventCancelled) -> None:
    """Everyone going or waiting is told, except the organizer who cancelled."""
    event = _event(session, domain_event.event_id)
    member_ids = session.exec(
        select(EventRsvp.member_id).where(
            EventRsvp.event_id == event.id,
            col(EventRsvp.status).in_([RsvpStatus.GOING, RsvpStatus.WAITLISTED]),
        )
    ).all()
    for member_id in member_ids:
        if member_id == domain_event.actor_id:
            continue
        notify(
            session,
            member_id=member_id,
            type="event.cancelled",
            title=f"Cancelled: {event.title}",
            body=f"The event on {_when(event)} will not take place.",
            event_id=event.id,
        )
