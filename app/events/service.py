"""Events and series, RSVPs with capacity and a FIFO waitlist, check-ins, feed tokens.

How capacity holds under concurrency: a seat is taken only by one conditional
`UPDATE events SET going_count = going_count + n WHERE … going_count + n <= capacity`, whose
row count says whether the seat was won, and a CHECK constraint on the row makes
overbooking impossible whatever the code does. The waitlist needs read-decide-write steps
(who is first in line, whether a seat just came free), so every change to an event's RSVPs
first locks the event row (`SELECT … FOR UPDATE`; PostgreSQL is READ COMMITTED, while SQLite
already serialises writers): RSVPs of one event are decided one at a time, always locking
the event before any RSVP row, so they cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.core import events as domain_events
from app.core.clock import utcnow
from app.core.db import rows_affected, upsert_insert
from app.core.pagination import PageParams, SortKey, asc, paginate
from app.core.recurrence import from_wall_clock, series_starts, to_wall_clock
from app.core.security import FEED_PREFIX, hash_secret, new_secret
from app.events.exceptions import (
    CannotUnpublish,
    CapacityBelowGoing,
    CheckInNotFound,
    EndsBeforeStart,
    EventCancelled,
    EventEnded,
    EventNotFound,
    EventNotPublished,
    InvalidFeedToken,
    RsvpListRestricted,
    RsvpNotFound,
)
from app.events.schemas import (
    CalendarFilters,
    CheckInPublic,
    EditScope,
    EventCreate,
    EventFilters,
    EventMember,
    EventPublic,
    EventUpdate,
    RsvpChoice,
    RsvpPublic,
)
from app.members.exceptions import MemberNotFound
from app.models import (
    CalendarFeedToken,
    Event,
    EventCheckIn,
    EventRsvp,
    EventStatus,
    Member,
    RsvpStatus,
    is_organizer,
)

# Counters are changed in SQL; the ORM must not try to mirror those changes in memory.
_NO_SYNC = {"synchronize_session": False}
# The public feed is a window, not an archive: calendar apps poll it often.
FEED_LIMIT = 500
# What members other than organizers may see in an event's RSVP list.
PUBLIC_RSVP_STATUSES = (RsvpStatus.GOING, RsvpStatus.INTERESTED)


# --- who sees what -------------------------------------------------------------------------


def _visible_to(statement: Any, viewer: Member | None) -> Any:
    if is_organizer(viewer):
        return statement
    return statement.where(col(Event.status) != EventStatus.DRAFT)


def _check_visible(event: Event | None, event_id: int, viewer: Member | None) -> Event:
    if event is None or (event.status == EventStatus.DRAFT and not is_organizer(viewer)):
        raise EventNotFound(f"Event {event_id} does not exist.")
    return event


def get_visible(session: Session, *, event_id: int, viewer: Member | None) -> Event:
    """The event, or 404: drafts exist only for organizers."""
    return _check_visible(session.get(Event, event_id), event_id, viewer)


def _id(row: Event | EventRsvp | Member) -> int:
    assert row.id is not None  # rows read back or flushed always have one
    return row.id


def _lock_events(session: Session, condition: sa.ColumnElement[bool]) -> list[Event]:
    """Locks the matching events in id order (one order everywhere: no deadlocks)."""
    statement = (
        select(Event)
        .where(condition)
        .order_by(col(Event.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.exec(statement))


def _lock_event(session: Session, *, event_id: int, viewer: Member | None) -> Event:
    locked = _lock_events(session, col(Event.id) == event_id)
    return _check_visible(locked[0] if locked else None, event_id, viewer)


# --- presenting ----------------------------------------------------------------------------


def _viewer_statuses(
    session: Session, event_ids: Sequence[int], viewer: Member | None
) -> dict[int, RsvpStatus]:
    if viewer is None or not event_ids:
        return {}
    rows = session.exec(
        select(EventRsvp.event_id, EventRsvp.status).where(
            EventRsvp.member_id == viewer.id, col(EventRsvp.event_id).in_(event_ids)
        )
    )
    return {event_id: RsvpStatus(status) for event_id, status in rows}


def to_public(event: Event, *, my_status: RsvpStatus | None, sees_online_url: bool) -> EventPublic:
    spots_left = None if event.capacity is None else event.capacity - event.going_count
    return EventPublic.model_validate(
        {
            **event.model_dump(exclude={"city_key", "waitlist_seq", "online_url"}),
            "online_url": event.online_url if sees_online_url else None,
            "spots_left": spots_left,
            "my_rsvp_status": my_status,
        }
    )


def present_many(
    session: Session, events: Sequence[Event], *, viewer: Member | None
) -> list[EventPublic]:
    """Events as the viewer sees them, with one query for the viewer's RSVPs."""
    ids = [_id(event) for event in events]
    statuses = _viewer_statuses(session, ids, viewer)
    organizer = is_organizer(viewer)
    return [
        to_public(
            event,
            my_status=statuses.get(event_id),
            sees_online_url=organizer or statuses.get(event_id) == RsvpStatus.GOING,
        )
        for event, event_id in zip(events, ids, strict=True)
    ]


def present(session: Session, event: Event, *, viewer: Member | None) -> EventPublic:
    return present_many(session, [event], viewer=viewer)[0]


def sees_online_url(session: Session, event: Event, *, viewer: Member | None) -> bool:
    return present(session, event, viewer=viewer).online_url is not None


# --- listing -------------------------------------------------------------------------------


def list_events(
    session: Session, *, filters: EventFilters, params: PageParams, viewer: Member | None
) -> tuple[list[Event], str | None]:
    statement = _visible_to(select(Event), viewer)
    if filters.starts_after is not None:
        statement = statement.where(col(Event.starts_at) >= filters.starts_after)
    if filters.starts_before is not None:
        statement = statement.where(col(Event.starts_at) < filters.starts_before)
    if filters.kind is not None:
        statement = statement.where(Event.kind == filters.kind)
    if filters.city is not None:
        statement = statement.where(Event.city_key == filters.city.lower())
    if filters.series_id is not None:
        statement = statement.where(Event.series_id == filters.series_id)
    if filters.status is not None:
        statement = statement.where(Event.status == filters.status)
    keys = [asc(Event.starts_at), asc(Event.id)]
    return paginate(session, statement, keys=keys, params=params)


# --- creating: single events and series ----------------------------------------------------


def create_event(session: Session, *, organizer: Member, data: EventCreate) -> Event:
    """Creates the event, or every occurrence of a series; returns the first."""
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
    session.add_all(occurrences)
    session.flush()
    if data.repeat is not None:
        for occurrence in occurrences:
            occurrence.series_id = occurrences[0].id
        session.flush()
    if data.status == EventStatus.PUBLISHED:
        for occurrence in occurrences:
            _announce(session, occurrence, "event.published", actor=organizer)
    return occurrences[0]


def _announce(session: Session, event: Event, event_type: str, *, actor: Member) -> None:
    domain_events.publish(session, event_type, actor_id=actor.id, event_id=event.id)


# --- editing and deleting ------------------------------------------------------------------


def lock_for_edit(
    session: Session, *, event_id: int, viewer: Member, scope: EditScope
) -> tuple[Event, list[Event]]:
    """The event and the occurrences an edit with this scope touches, all locked.

    `following` is this occurrence and every later one of its series (by start time).
    The whole series is locked in id order, so two edits of one series never deadlock.
    """
    event = get_visible(session, event_id=event_id, viewer=viewer)
    if scope == EditScope.THIS or event.series_id is None:
        return _lock_event(session, event_id=event_id, viewer=viewer), [event]
    series = _lock_events(session, col(Event.series_id) == event.series_id)
    target = next((e for e in series if e.id == event_id), None)
    target = _check_visible(target, event_id, viewer)
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
    retime = _Retime.of(target, sent)
    for occurrence in occurrences:
        was = EventStatus(occurrence.status)
        values = _new_values(occurrence, sent, retime, target=occurrence is target)
        _check_change(occurrence, values, was=was)
        _apply(occurrence, values, now=now)
        session.flush()
        _promote_waitlisted(session, occurrence, now=now)
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
            f"Event {event.id} has {event.going_count} members going; capacity cannot be "
            f"lower. Ask members to cancel their RSVP first."
        )
    if values.get("status") == EventStatus.DRAFT and was != EventStatus.DRAFT:
        raise CannotUnpublish("A published or cancelled event cannot become a draft again.")


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
        _announce(session, event, "event.published", actor=actor)
    elif event.status == EventStatus.CANCELLED and was == EventStatus.PUBLISHED:
        _announce(session, event, "event.cancelled", actor=actor)


def delete_events(session: Session, *, occurrences: Sequence[Event]) -> None:
    """Deletes outright, with RSVPs and check-ins; cancel instead to tell who was going."""
    ids = [event.id for event in occurrences]
    session.execute(sa.delete(Event).where(col(Event.id).in_(ids)))


# --- RSVPs and the waitlist ----------------------------------------------------------------


def _ensure_published(event: Event, *, what: str) -> None:
    if event.status == EventStatus.DRAFT:
        raise EventNotPublished(f"{what} open once the event is published.")
    if event.status == EventStatus.CANCELLED:
        raise EventCancelled(f"Event {event.id} is cancelled.")


def _lock_for_rsvp(session: Session, *, event_id: int, member: Member, now: datetime) -> Event:
    event = _lock_event(session, event_id=event_id, viewer=member)
    _ensure_published(event, what="RSVPs")
    if event.ends_at <= now:
        raise EventEnded(f"Event {event_id} has ended.")
    return event


def _rsvp_row(session: Session, *, event_id: int, member_id: int, now: datetime) -> EventRsvp:
    """The member's RSVP, created as `not_going` (no seat, no ticket) if absent; the unique
    (event_id, member_id) constraint keeps it one row per member."""
    insert = upsert_insert(session, EventRsvp).values(
        event_id=event_id,
        member_id=member_id,
        status=RsvpStatus.NOT_GOING,
        created_at=now,
        updated_at=now,
    )
    session.execute(insert.on_conflict_do_nothing(index_elements=["event_id", "member_id"]))
    statement = select(EventRsvp).where(
        EventRsvp.event_id == event_id, EventRsvp.member_id == member_id
    )
    return session.exec(statement.execution_options(populate_existing=True)).one()


def _take_seats(session: Session, *, event_id: int, seats: int, from_waitlist: bool) -> bool:
    """The one place seats are taken: a conditional UPDATE; True when they were free."""
    values: dict[str, Any] = {"going_count": col(Event.going_count) + seats}
    if from_waitlist:
        values["waitlist_count"] = col(Event.waitlist_count) - seats
    statement = (
        sa.update(Event)
        .where(
            col(Event.id) == event_id,
            sa.or_(
                col(Event.capacity).is_(None),
                col(Event.going_count) + seats <= col(Event.capacity),
            ),
        )
        .values(values)
    )
    return rows_affected(session.execute(statement, execution_options=_NO_SYNC)) == 1


def _adjust_counts(session: Session, *, event_id: int, **deltas: int) -> None:
    values = {name: getattr(Event, name) + delta for name, delta in deltas.items()}
    statement = sa.update(Event).where(col(Event.id) == event_id).values(values)
    session.execute(statement, execution_options=_NO_SYNC)


def _next_ticket(session: Session, *, event_id: int) -> int:
    statement = (
        sa.update(Event)
        .where(col(Event.id) == event_id)
        .values(
            waitlist_seq=col(Event.waitlist_seq) + 1,
            waitlist_count=col(Event.waitlist_count) + 1,
        )
        .returning(col(Event.waitlist_seq))
    )
    ticket: int = session.execute(statement, execution_options=_NO_SYNC).scalar_one()
    return ticket


def _join(session: Session, *, event: Event, rsvp: EventRsvp) -> None:
    if _take_seats(session, event_id=_id(event), seats=1, from_waitlist=False):
        rsvp.status, rsvp.waitlist_ticket = RsvpStatus.GOING, None
        return
    # Status and ticket change together: the row's CHECK wants a ticket exactly when waiting.
    ticket = _next_ticket(session, event_id=_id(event))
    rsvp.status, rsvp.waitlist_ticket = RsvpStatus.WAITLISTED, ticket


def _vacate(session: Session, *, event: Event, rsvp: EventRsvp, now: datetime) -> None:
    """Gives up the member's seat (promoting the next in line) or place on the waitlist."""
    was = rsvp.status
    if was not in (RsvpStatus.GOING, RsvpStatus.WAITLISTED):
        return
    rsvp.status, rsvp.waitlist_ticket = RsvpStatus.NOT_GOING, None
    if was == RsvpStatus.GOING:
        _adjust_counts(session, event_id=_id(event), going_count=-1)
        session.flush()
        _promote_waitlisted(session, event, now=now)
    else:
        _adjust_counts(session, event_id=_id(event), waitlist_count=-1)


def _next_in_line(session: Session, event: Event) -> list[EventRsvp]:
    """The waitlisted RSVPs that fit in the seats free now, first come first."""
    capacity, going, waiting = session.execute(
        select(Event.capacity, Event.going_count, Event.waitlist_count).where(Event.id == event.id)
    ).one()
    free = waiting if capacity is None else min(capacity - going, waiting)
    if free <= 0:
        return []
    statement = (
        select(EventRsvp)
        .where(EventRsvp.event_id == event.id, EventRsvp.status == RsvpStatus.WAITLISTED)
        .order_by(col(EventRsvp.waitlist_ticket))
        .limit(free)
    )
    return list(session.exec(statement))


def _promote_waitlisted(session: Session, event: Event, *, now: datetime) -> None:
    """Moves the first in line into every free seat and tells them (a domain event each).

    Only for a published event that has not ended: a cancelled event keeps its queue in
    case it is published again. The caller holds the event's lock.
    """
    if event.status != EventStatus.PUBLISHED or event.ends_at <= now:
        return
    promoted = _next_in_line(session, event)
    seats = len(promoted)
    if not seats or not _take_seats(session, event_id=_id(event), seats=seats, from_waitlist=True):
        return  # nobody waiting, or (unreachable under the lock) the database refused
    for rsvp in promoted:
        rsvp.status, rsvp.waitlist_ticket, rsvp.updated_at = RsvpStatus.GOING, None, now
    session.flush()
    for rsvp in promoted:
        domain_events.publish(
            session, "event.waitlist_promoted", event_id=event.id, member_id=rsvp.member_id
        )


def set_rsvp(
    session: Session,
    *,
    event_id: int,
    member: Member,
    choice: RsvpChoice,
    now: datetime | None = None,
) -> EventRsvp:
    """Sets the member's answer. `going` takes a seat or joins the waitlist; a member
    already going or waitlisted keeps their seat or place."""
    now = now or utcnow()
    event = _lock_for_rsvp(session, event_id=event_id, member=member, now=now)
    rsvp = _rsvp_row(session, event_id=event_id, member_id=_id(member), now=now)
    was = rsvp.status
    if choice == RsvpChoice.GOING:
        if was not in (RsvpStatus.GOING, RsvpStatus.WAITLISTED):
            _join(session, event=event, rsvp=rsvp)
    else:
        _vacate(session, event=event, rsvp=rsvp, now=now)
        rsvp.status = choice
    if rsvp.status != was:
        rsvp.updated_at = now
    session.flush()
    return rsvp


def delete_rsvp(
    session: Session, *, event_id: int, member: Member, now: datetime | None = None
) -> None:
    """Withdraws the member's RSVP (nothing to do if there is none)."""
    now = now or utcnow()
    event = _lock_for_rsvp(session, event_id=event_id, member=member, now=now)
    rsvp = session.exec(
        select(EventRsvp).where(EventRsvp.event_id == event_id, EventRsvp.member_id == member.id)
    ).first()
    if rsvp is None:
        return
    _vacate(session, event=event, rsvp=rsvp, now=now)
    session.delete(rsvp)
    session.flush()


def get_rsvp(session: Session, *, event_id: int, member: Member) -> EventRsvp:
    get_visible(session, event_id=event_id, viewer=member)
    rsvp = session.exec(
        select(EventRsvp).where(EventRsvp.event_id == event_id, EventRsvp.member_id == member.id)
    ).first()
    if rsvp is None:
        raise RsvpNotFound(f"You have not answered event {event_id}.")
    return rsvp


def list_rsvps(
    session: Session,
    *,
    event_id: int,
    status: RsvpStatus | None,
    params: PageParams,
    viewer: Member,
) -> tuple[list[EventRsvp], str | None]:
    """Organizers see every answer; other members see who is going or interested."""
    get_visible(session, event_id=event_id, viewer=viewer)
    statement = select(EventRsvp).where(EventRsvp.event_id == event_id)
    if not is_organizer(viewer):
        if status is not None and status not in PUBLIC_RSVP_STATUSES:
            raise RsvpListRestricted("Only organizers see the waitlist and who is not going.")
        statement = statement.where(col(EventRsvp.status).in_(PUBLIC_RSVP_STATUSES))
    keys: list[SortKey] = [asc(EventRsvp.id)]
    if status is not None:
        statement = statement.where(EventRsvp.status == status)
    if status == RsvpStatus.WAITLISTED:
        keys = [asc(EventRsvp.waitlist_ticket), asc(EventRsvp.id)]  # the queue's order
    return paginate(session, statement, keys=keys, params=params)


def _waitlist_positions(session: Session, rsvps: Sequence[EventRsvp]) -> dict[int, int]:
    """Place in line (1 = next) of the waitlisted RSVPs among these, in one query."""
    ids = [r.id for r in rsvps if r.status == RsvpStatus.WAITLISTED]
    if not ids:
        return {}
    ahead = aliased(EventRsvp)
    position = (
        select(sa.func.count())
        .select_from(ahead)
        .where(
            col(ahead.event_id) == col(EventRsvp.event_id),
            col(ahead.waitlist_ticket) <= col(EventRsvp.waitlist_ticket),
        )
        .correlate(EventRsvp)
        .scalar_subquery()
    )
    rows = session.execute(select(EventRsvp.id, position).where(col(EventRsvp.id).in_(ids)))
    return {rsvp_id: position for rsvp_id, position in rows}  # noqa: C416 - rows are Rows


def _members(
    session: Session, member_ids: Iterable[int], known: Iterable[Member] = ()
) -> dict[int, EventMember]:
    found = {_id(m): m for m in known}
    missing = set(member_ids) - found.keys()
    if missing:
        found.update(
            (_id(m), m) for m in session.exec(select(Member).where(col(Member.id).in_(missing)))
        )
    return {i: EventMember.model_validate(m, from_attributes=True) for i, m in found.items()}


def present_rsvps(
    session: Session, rsvps: Sequence[EventRsvp], *, known: Iterable[Member] = ()
) -> list[RsvpPublic]:
    """RSVPs with their members and waitlist positions, in two queries for any number
    (members already at hand, `known`, are not read again)."""
    members = _members(session, (r.member_id for r in rsvps), known)
    positions = _waitlist_positions(session, rsvps)
    return [
        RsvpPublic(
            event_id=r.event_id,
            member=members[r.member_id],
            status=RsvpStatus(r.status),
            waitlist_position=positions.get(_id(r)),
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in rsvps
    ]


# --- check-ins -----------------------------------------------------------------------------


def _active_member(session: Session, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None or not member.is_active:
        raise MemberNotFound(f"Member {member_id} does not exist.")
    return member


def check_in(
    session: Session,
    *,
    event_id: int,
    member_id: int,
    organizer: Member,
    now: datetime | None = None,
) -> tuple[EventCheckIn, bool]:
    """Marks attendance once; returns the check-in and whether this call created it."""
    _ensure_published(get_visible(session, event_id=event_id, viewer=organizer), what="Check-ins")
    _active_member(session, member_id)
    insert = upsert_insert(session, EventCheckIn).values(
        event_id=event_id,
        member_id=member_id,
        checked_in_at=now or utcnow(),
        checked_in_by_id=organizer.id,
    )
    # RETURNING, not rowcount, tells whether the row is new: it is reliable on both databases.
    inserted = session.execute(insert.on_conflict_do_nothing().returning(EventCheckIn.member_id))
    created = inserted.first() is not None
    if created:
        domain_events.publish(
            session, "event.attended", actor_id=member_id, event_id=event_id, member_id=member_id
        )
    return get_check_in(session, event_id=event_id, member_id=member_id), created


def get_check_in(session: Session, *, event_id: int, member_id: int) -> EventCheckIn:
    found = session.get(EventCheckIn, (event_id, member_id))
    if found is None:
        raise CheckInNotFound(f"Member {member_id} is not checked in to event {event_id}.")
    return found


def list_check_ins(
    session: Session, *, event_id: int, params: PageParams, viewer: Member
) -> tuple[list[EventCheckIn], str | None]:
    get_visible(session, event_id=event_id, viewer=viewer)
    statement = select(EventCheckIn).where(EventCheckIn.event_id == event_id)
    keys = [asc(EventCheckIn.checked_in_at), asc(EventCheckIn.member_id)]
    return paginate(session, statement, keys=keys, params=params)


def present_check_ins(session: Session, check_ins: Sequence[EventCheckIn]) -> list[CheckInPublic]:
    members = _members(session, (c.member_id for c in check_ins))
    return [
        CheckInPublic(
            event_id=c.event_id,
            member_id=c.member_id,
            member=members[c.member_id],
            checked_in_at=c.checked_in_at,
        )
        for c in check_ins
    ]


# --- calendar feeds ------------------------------------------------------------------------


def _in_feed(statement: Any, *, now: datetime) -> Any:
    """Published and cancelled events that have not ended, soonest first."""
    return (
        statement.where(
            col(Event.status).in_([EventStatus.PUBLISHED, EventStatus.CANCELLED]),
            col(Event.ends_at) > now,
        )
        .order_by(col(Event.starts_at), col(Event.id))
        .limit(FEED_LIMIT)
    )


def feed_events(session: Session, *, filters: CalendarFilters) -> list[Event]:
    statement = select(Event)
    if filters.kind is not None:
        statement = statement.where(Event.kind == filters.kind)
    if filters.city is not None:
        statement = statement.where(Event.city_key == filters.city.lower())
    return list(session.exec(_in_feed(statement, now=utcnow())))


def member_feed_events(session: Session, *, member: Member) -> list[Event]:
    """What the member is going to, cancelled ones included (their RSVPs are kept)."""
    statement = select(Event).join(EventRsvp, col(EventRsvp.event_id) == col(Event.id))
    statement = statement.where(
        EventRsvp.member_id == member.id, EventRsvp.status == RsvpStatus.GOING
    )
    return list(session.exec(_in_feed(statement, now=utcnow())))


def issue_feed_token(session: Session, *, member: Member) -> str:
    """A new feed secret for the member; the previous one stops working at once."""
    secret = new_secret(FEED_PREFIX)
    values = {"member_id": member.id, "token_hash": hash_secret(secret), "created_at": utcnow()}
    upsert = upsert_insert(session, CalendarFeedToken).values(values)
    upsert = upsert.on_conflict_do_update(
        index_elements=["member_id"],
        set_={"token_hash": upsert.excluded.token_hash, "created_at": upsert.excluded.created_at},
    )
    session.execute(upsert)
    return secret


def revoke_feed_token(session: Session, *, member: Member) -> None:
    session.execute(
        sa.delete(CalendarFeedToken).where(col(CalendarFeedToken.member_id) == member.id)
    )


def member_for_feed_token(session: Session, *, token: str) -> Member:
    member = session.exec(
        select(Member)
        .join(CalendarFeedToken, col(CalendarFeedToken.member_id) == col(Member.id))
        .where(CalendarFeedToken.token_hash == hash_secret(token), col(Member.is_active).is_(True))
    ).first()
    if member is None:
        raise InvalidFeedToken()
    return member
