"""Who sees which event, and the row locks a write to events takes first.

Drafts exist only for organizers: to anyone else they are a 404, in lookups and lists alike.
Events are always locked in id order, one order everywhere, so two writers that lock events
of the same series cannot deadlock.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.events.exceptions import EventCancelled, EventNotFound, EventNotPublished
from app.i18n import N_, message
from app.media import access as media_access
from app.models import Event, EventStatus, Member, is_organizer
from app.problems.details import does_not_exist


class EventState(Protocol):
    """What the visibility and open-for-answers checks read of an event: an Event, or the
    columns an RSVP reads with the event's lock (app.events.rsvps)."""

    @property
    def id(self) -> int | None: ...

    @property
    def status(self) -> str: ...


Checked = TypeVar("Checked", bound=EventState)


def visible_to(statement: Any, viewer: Member | None) -> Any:
    if is_organizer(viewer):
        return statement
    return statement.where(col(Event.status) != EventStatus.DRAFT)


def check_visible(event: Checked | None, event_id: int, viewer: Member | None) -> Checked:
    if event is None or (event.status == EventStatus.DRAFT and not is_organizer(viewer)):
        raise does_not_exist(EventNotFound, N_("Event"), event_id)
    return event


def get_visible(session: Session, *, event_id: int, viewer: Member | None) -> Event:
    """The event, or 404: drafts exist only for organizers."""
    return check_visible(session.get(Event, event_id), event_id, viewer)


@media_access.register
def shows_cover(session: Session, media_id: int, viewer: Member | None) -> bool:
    """Whether the media is the cover of an event this viewer may see (drafts: organizers)."""
    statement = visible_to(select(Event.id).where(col(Event.cover_media_id) == media_id), viewer)
    return session.exec(statement.limit(1)).first() is not None


def lock_events(session: Session, condition: sa.ColumnElement[bool]) -> list[Event]:
    """Locks the matching events in id order (one order everywhere: no deadlocks)."""
    statement = (
        select(Event)
        .where(condition)
        .order_by(col(Event.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.exec(statement))


def lock_event(session: Session, *, event_id: int, viewer: Member | None) -> Event:
    locked = lock_events(session, col(Event.id) == event_id)
    return check_visible(locked[0] if locked else None, event_id, viewer)


def ensure_published(event: EventState, *, what: str) -> None:
    if event.status == EventStatus.DRAFT:
        raise EventNotPublished(
            N_("{what} open once the event is published."), values={"what": message(what)}
        )
    if event.status == EventStatus.CANCELLED:
        raise EventCancelled(N_("Event {event} is cancelled."), values={"event": event.id})
