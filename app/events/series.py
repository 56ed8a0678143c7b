"""Events and series: listing, creating one event or every occurrence of a series, editing
an occurrence (or it and the following ones), deleting.

A series is stepped on the event's wall clock (app.recurrence); an edit of the following
occurrences replays the edited one's wall-clock shift on each later occurrence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col

from app.core import domain_events
from app.core.clock import utcnow
from app.core.tables import id_of
from app.events.access import check_visible, get_visible, lock_event, lock_events
from app.events.exceptions import CannotUnpublish, CapacityBelowGoing, EndsBeforeStart
from app.events.rsvps import promote_waitlisted
from app.events.schemas import EditScope, EventCreate, EventUpdate
from app.i18n import N_
from app.media import attachments
from app.models import Event, EventStatus, Member
from app.recurrence import from_wall_clock, save_series, series_starts, to_wall_clock


def create_event(session: Session, *, organizer: Member, data: EventCreate) -> Event:
    """Creates the event, or every occurrence of a series; returns the first."""
    _attach_cover(session, cover_media_id=data.cover_media_id, actor=organizer)
    fields = data.model_dump(exclude={"repeat", "starts_at", "ends_at"})
    duration = data.ends_at - data.starts_at
    occurrences = [
        Event(
            **fields,
            city_key=data.city.lower() if data.city else None,
            starts_at=start,
            ends_at=start + duration,
            created_by_id=organizer.id,
        )
        for start in series_starts(data.starts_at, data.repeat, zone=ZoneInfo(data.timezone))
    ]
    save_series(session, occurrences, data.repeat)
    if data.status == EventStatus.PUBLISHED:
        for occurrence in occurrences:
            _announce(session, occurrence, domain_events.EventPublished, actor=organizer)
    return occurrences[0]


def _attach_cover(session: Session, *, cover_media_id: int | None, actor: Member) -> None:
    """A cover is one of the caller's own images (app.media.attachments)."""
    if cover_media_id is not None:
        attachments.attach(
            session,
            owner_id=id_of(actor),
            media_ids=[cover_media_id],
            field="cover_media_id",
            kinds=attachments.IMAGES,
            listed=False,
        )


def _announce(
    session: Session,
    event: Event,
    kind: type[domain_events.EventStatusChanged],
    *,
    actor: Member,
) -> None:
    domain_events.publish(session, kind(actor_id=actor.id, event_id=id_of(event)))


def lock_for_edit(
    session: Session, *, event_id: int, viewer: Member, scope: EditScope
) -> tuple[Event, list[Event]]:
    """The event and the occurrences an edit with this scope touches, all locked.

    `following` is this occurrence and every later one of its series (by start time).
    The whole series is locked in id order, so two edits of one series never deadlock.
    """
    event = get_visible(session, event_id=event_id, viewer=viewer)
    if scope == EditScope.THIS or event.series_id is None:
        return lock_event(session, event_id=event_id, viewer=viewer), [event]
    series = lock_events(session, col(Event.series_id) == event.series_id)
    target = next((e for e in series if e.id == event_id), None)
    target = check_visible(target, event_id, viewer)
    following = [e for e in series if (e.starts_at, e.id) >= (target.starts_at, target.id)]
    return target, sorted(following, key=lambda e: (e.starts_at, e.id))


@dataclass(frozen=True)
class _Retime:
    """A change of the edited occurrence's times, replayed on later ones: the same shift
    of the wall clock (in the edited occurrence's time zone) and the same new duration."""

    shift: timedelta
    duration: timedelta

    @classmethod
    def of(cls, target: Event, sent: dict[str, Any]) -> _Retime | None:
        if "starts_at" not in sent and "ends_at" not in sent:
            return None
        zone = ZoneInfo(sent.get("timezone", target.timezone))
        new_start = sent.get("starts_at", target.starts_at)
        new_end = sent.get("ends_at", target.ends_at)
        old_local = to_wall_clock(target.starts_at, zone)
        new_local = to_wall_clock(new_start, zone)
        return cls(shift=new_local - old_local, duration=new_end - new_start)

    def times(self, event: Event, timezone: str) -> tuple[datetime, datetime]:
        zone = ZoneInfo(timezone)
        start = from_wall_clock(to_wall_clock(event.starts_at, zone) + self.shift, zone)
        return start, start + self.duration


def update_events(
    session: Session,
    *,
    target: Event,
    occurrences: Sequence[Event],
    changes: EventUpdate,
    actor: Member,
    now: datetime | None = None,
) -> Event:
    """Applies the changes to the target and, for scope `following`, to later occurrences.

    Each occurrence whose fields change gets a new `sequence`; raising capacity (or
    publishing again) promotes from the waitlist; cancelling notifies who was going.
    Any refusal (capacity below going, …) rolls back the whole edit.
    """
    now = now or utcnow()
    sent = changes.model_dump(exclude_unset=True)
    _attach_cover(session, cover_media_id=sent.get("cover_media_id"), actor=actor)
    retime = _Retime.of(target, sent)
    for occurrence in occurrences:
        was = EventStatus(occurrence.status)
        values = _new_values(occurrence, sent, retime, target=occurrence is target)
        _check_change(occurrence, values, was=was)
        _apply(occurrence, values, now=now)
        session.flush()
        promote_waitlisted(session, occurrence, now=now)
        _announce_status(session, occurrence, was=was, actor=actor)
    session.refresh(target)
    return target


def _new_values(
    event: Event, sent: dict[str, Any], retime: _Retime | None, *, target: bool
) -> dict[str, Any]:
    values = {k: v for k, v in sent.items() if k not in ("starts_at", "ends_at")}
    if "city" in values:
        values["city_key"] = values["city"].lower() if values["city"] else None
    if target:
        values.update({k: sent[k] for k in ("starts_at", "ends_at") if k in sent})
    elif retime is not None:
        values["starts_at"], values["ends_at"] = retime.times(
            event, values.get("timezone", event.timezone)
        )
    return values


def _check_change(event: Event, values: dict[str, Any], *, was: EventStatus) -> None:
    starts_at = values.get("starts_at", event.starts_at)
    if values.get("ends_at", event.ends_at) <= starts_at:
        raise EndsBeforeStart()
    capacity = values.get("capacity", event.capacity)
    if capacity is not None and capacity < event.going_count:
        raise CapacityBelowGoing(
            N_(
                "Event {event} has {going_count} members going; capacity cannot be "
                "lower. Ask members to cancel their RSVP first."
            ),
            values={"event": event.id, "going_count": event.going_count},
        )
    if values.get("status") == EventStatus.DRAFT and was != EventStatus.DRAFT:
        raise CannotUnpublish(N_("A published or cancelled event cannot become a draft again."))


def _apply(event: Event, values: dict[str, Any], *, now: datetime) -> None:
    changed = {k: v for k, v in values.items() if getattr(event, k) != v}
    if not changed:
        return
    for field, value in changed.items():
        setattr(event, field, value)
    event.sequence += 1
    event.updated_at = now


def _announce_status(session: Session, event: Event, *, was: EventStatus, actor: Member) -> None:
    if event.status == was:
        return
    if event.status == EventStatus.PUBLISHED:
        _announce(session, event, domain_events.EventPublished, actor=actor)
    elif event.status == EventStatus.CANCELLED and was == EventStatus.PUBLISHED:
        _announce(session, event, domain_events.EventCancelled, actor=actor)


def delete_events(session: Session, *, occurrences: Sequence[Event]) -> None:
    """Deletes outright, with RSVPs and check-ins; cancel instead to tell who was going."""
    ids = [event.id for event in occurrences]
    session.execute(sa.delete(Event).where(col(Event.id).in_(ids)))
