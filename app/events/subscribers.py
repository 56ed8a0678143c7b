"""What members hear about events: a seat came free for them, or an event was cancelled."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.domain_events import (
    EventCancelled,
    EventWaitlistPromoted,
    subscribe,
)
from app.i18n import N_, moment
from app.models import Event, EventRsvp, Member, RsvpStatus
from app.notifications.service import notify, notify_members


def _when(event: Event) -> dict[str, str]:
    """The start on the event's own wall clock, written as the reader's language does."""
    return moment(event.starts_at, event.timezone)


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
        title=N_("A spot opened up: you're going to {event}"),
        body=N_(
            "You moved up from the waitlist. See you on {when}; if you can't make it any "
            "more, cancel your RSVP so the next person gets the spot."
        ),
        values={"event": event.title, "when": _when(event)},
        event_id=event.id,
    )


@subscribe(EventCancelled)
def tell_attendees_event_cancelled(session: Session, domain_event: EventCancelled) -> None:
    """Everyone going or waiting is told, except the organizer who cancelled: one
    statement however many they are (and their mails in batches, app.mail.subscribers)."""
    event = _event(session, domain_event.event_id)
    attending = select(EventRsvp.member_id).where(
        EventRsvp.event_id == event.id,
        col(EventRsvp.status).in_([RsvpStatus.GOING, RsvpStatus.WAITLISTED]),
    )
    recipients: sa.ColumnElement[bool] = col(Member.id).in_(attending)
    if domain_event.actor_id is not None:
        recipients = sa.and_(recipients, col(Member.id) != domain_event.actor_id)
    notify_members(
        session,
        recipients,
        type="event.cancelled",
        title=N_("Cancelled: {event}"),
        body=N_("The event on {when} will not take place."),
        values={"event": event.title, "when": _when(event)},
        event_id=event.id,
    )
