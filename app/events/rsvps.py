"""RSVPs: a seat while there is one, else a place on a first-come, first-served waitlist.

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

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.core import domain_events
from app.core.clock import utcnow
from app.core.db import rows_affected
from app.core.pagination import PageParams, SortKey, asc, paginate
from app.core.tables import id_of
from app.events.access import ensure_published, get_visible, lock_event
from app.events.exceptions import EventEnded, RsvpListRestricted, RsvpNotFound
from app.events.schemas import RsvpChoice
from app.i18n import N_
from app.models import Event, EventRsvp, EventStatus, Member, RsvpStatus, is_organizer

# What members other than organizers may see in an event's RSVP list.
PUBLIC_RSVP_STATUSES = (RsvpStatus.GOING, RsvpStatus.INTERESTED)


def _lock_for_rsvp(session: Session, *, event_id: int, member: Member, now: datetime) -> Event:
    event = lock_event(session, event_id=event_id, viewer=member)
    ensure_published(event, what=N_("RSVPs"))
    if event.ends_at <= now:
        raise EventEnded(N_("Event {event_id} has ended."), values={"event_id": event_id})
    return event


def _rsvp_row(session: Session, *, event_id: int, member_id: int, now: datetime) -> EventRsvp:
    """The member's RSVP, apart from the Session (`_write` writes it once its answer is
    decided, as it ends); one not yet answered is a new `not_going` row (no seat, no
    ticket). One read: every change to the event's RSVPs holds the event's lock, so nobody
    can insert this member's row meanwhile (and the unique (event_id, member_id) constraint
    backs that)."""
    found = session.execute(_RSVP_OF_MEMBER, {"event": event_id, "member": member_id}).first()
    if found is not None:
        return EventRsvp(**found._mapping)
    return EventRsvp(
        event_id=event_id,
        member_id=member_id,
        status=RsvpStatus.NOT_GOING,
        created_at=now,
        updated_at=now,
    )


# The statements of an RSVP, built once with bound parameters (named unlike any column: an
# UPDATE would take a parameter named as a column for SET): building one and its cache key
# per call cost about as much CPU as running it.
_EVENTS = cast(sa.Table, Event.__table__)  # type: ignore[attr-defined]
_EVENT = sa.bindparam("event", type_=sa.Integer)
_SEATS = sa.bindparam("seats", type_=sa.Integer)
_RSVPS = cast(sa.Table, EventRsvp.__table__)  # type: ignore[attr-defined]
_MEMBER = sa.bindparam("member", type_=sa.Integer)
_RSVP_OF_MEMBER = sa.select(_RSVPS).where(
    _RSVPS.c.event_id == _EVENT, _RSVPS.c.member_id == _MEMBER
)
_SEATS_FREE = sa.or_(
    _EVENTS.c.capacity.is_(None), _EVENTS.c.going_count + _SEATS <= _EVENTS.c.capacity
)
_TAKE_SEATS = (
    sa.update(_EVENTS)
    .where(_EVENTS.c.id == _EVENT, _SEATS_FREE)
    .values(
        going_count=_EVENTS.c.going_count + _SEATS,
        waitlist_count=_EVENTS.c.waitlist_count - sa.bindparam("from_waitlist", type_=sa.Integer),
    )
)
_ADJUST_COUNTS = (
    sa.update(_EVENTS)
    .where(_EVENTS.c.id == _EVENT)
    .values(
        going_count=_EVENTS.c.going_count + sa.bindparam("going", type_=sa.Integer),
        waitlist_count=_EVENTS.c.waitlist_count + sa.bindparam("waiting", type_=sa.Integer),
    )
    .returning(_EVENTS.c.capacity, _EVENTS.c.going_count, _EVENTS.c.waitlist_count)
)
_NEXT_TICKET = (
    sa.update(_EVENTS)
    .where(_EVENTS.c.id == _EVENT)
    .values(waitlist_seq=_EVENTS.c.waitlist_seq + 1, waitlist_count=_EVENTS.c.waitlist_count + 1)
    .returning(_EVENTS.c.waitlist_seq)
)


def _take_seats(session: Session, *, event_id: int, seats: int, from_waitlist: bool) -> bool:
    """The one place seats are taken: a conditional UPDATE; True when they were free."""
    params = {"event": event_id, "seats": seats, "from_waitlist": seats if from_waitlist else 0}
    return rows_affected(session.execute(_TAKE_SEATS, params)) == 1


Counts = tuple[int | None, int, int]  # an event's capacity, going and waitlist counts


def _adjust_counts(session: Session, *, event_id: int, going: int = 0, waiting: int = 0) -> Counts:
    """Moves the event's counters; returns the counts after it (no read to follow)."""
    params = {"event": event_id, "going": going, "waiting": waiting}
    capacity, going_now, waiting_now = session.execute(_ADJUST_COUNTS, params).one()
    return capacity, going_now, waiting_now


def _next_ticket(session: Session, *, event_id: int) -> int:
    ticket: int = session.execute(_NEXT_TICKET, {"event": event_id}).scalar_one()
    return ticket


def _join(session: Session, *, event: Event, rsvp: EventRsvp) -> None:
    if _take_seats(session, event_id=id_of(event), seats=1, from_waitlist=False):
        rsvp.status, rsvp.waitlist_ticket = RsvpStatus.GOING, None
        return
    # Status and ticket change together: the row's CHECK wants a ticket exactly when waiting.
    ticket = _next_ticket(session, event_id=id_of(event))
    rsvp.status, rsvp.waitlist_ticket = RsvpStatus.WAITLISTED, ticket


def _vacate(session: Session, *, event: Event, rsvp: EventRsvp, now: datetime) -> None:
    """Gives up the member's seat (promoting the next in line) or place on the waitlist."""
    was = rsvp.status
    if was not in (RsvpStatus.GOING, RsvpStatus.WAITLISTED):
        return
    rsvp.status, rsvp.waitlist_ticket = RsvpStatus.NOT_GOING, None
    if was == RsvpStatus.GOING:
        counts = _adjust_counts(session, event_id=id_of(event), going=-1)
        promote_waitlisted(session, event, now=now, counts=counts)
    else:
        _adjust_counts(session, event_id=id_of(event), waiting=-1)


def _next_in_line(session: Session, event: Event, counts: Counts | None) -> list[EventRsvp]:
    """The waitlisted RSVPs that fit in the seats free now, first come first (`counts`: the
    event's counts when the caller has them, else read)."""
    if counts is None:
        read = select(Event.capacity, Event.going_count, Event.waitlist_count)
        capacity, going, waiting = session.execute(read.where(Event.id == event.id)).one()
    else:
        capacity, going, waiting = counts
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


def promote_waitlisted(
    session: Session, event: Event, *, now: datetime, counts: Counts | None = None
) -> None:
    """Moves the first in line into every free seat and tells them (a domain event each).

    Only for a published event that has not ended: a cancelled event keeps its queue in
    case it is published again. The caller holds the event's lock.
    """
    if event.status != EventStatus.PUBLISHED or event.ends_at <= now:
        return
    promoted = _next_in_line(session, event, counts)
    seats = len(promoted)
    event_id = id_of(event)
    if not seats or not _take_seats(session, event_id=event_id, seats=seats, from_waitlist=True):
        return  # nobody waiting, or (unreachable under the lock) the database refused
    for rsvp in promoted:
        rsvp.status, rsvp.waitlist_ticket, rsvp.updated_at = RsvpStatus.GOING, None, now
    session.flush()
    for rsvp in promoted:
        domain_events.publish(
            session,
            domain_events.EventWaitlistPromoted(event_id=id_of(event), member_id=rsvp.member_id),
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
    rsvp = _rsvp_row(session, event_id=event_id, member_id=id_of(member), now=now)
    was = rsvp.status
    if choice == RsvpChoice.GOING:
        if was not in (RsvpStatus.GOING, RsvpStatus.WAITLISTED):
            _join(session, event=event, rsvp=rsvp)
    else:
        _vacate(session, event=event, rsvp=rsvp, now=now)
        rsvp.status = choice
    if rsvp.status != was or rsvp.id is None:  # the ticket changes only with the status
        rsvp.updated_at = now
        _write(session, rsvp)
    return rsvp


def _write(session: Session, rsvp: EventRsvp) -> None:
    """The member's row with its answer, inserted or updated by one statement."""
    values = {
        "event": rsvp.event_id,
        "member": rsvp.member_id,
        "answer": rsvp.status,
        "ticket": rsvp.waitlist_ticket,
        "since": rsvp.created_at,
        "at": rsvp.updated_at,
    }
    rsvp.id = session.execute(_WRITE[session.get_bind().dialect.name], values).scalar_one()


def _build_write(insert: Any) -> Any:
    upsert = insert(_RSVPS).values(
        event_id=_EVENT,
        member_id=_MEMBER,
        status=sa.bindparam("answer", type_=_RSVPS.c.status.type),
        waitlist_ticket=sa.bindparam("ticket", type_=sa.Integer),
        created_at=sa.bindparam("since", type_=_RSVPS.c.created_at.type),
        updated_at=sa.bindparam("at", type_=_RSVPS.c.updated_at.type),
    )
    changed = ("status", "waitlist_ticket", "updated_at")
    return upsert.on_conflict_do_update(
        index_elements=["event_id", "member_id"],
        set_={name: upsert.excluded[name] for name in changed},
    ).returning(_RSVPS.c.id)


_WRITE = {"postgresql": _build_write(postgresql.insert), "sqlite": _build_write(sqlite.insert)}


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
        raise RsvpNotFound(
            N_("You have not answered event {event_id}."), values={"event_id": event_id}
        )
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
            raise RsvpListRestricted(N_("Only organizers see the waitlist and who is not going."))
        statement = statement.where(col(EventRsvp.status).in_(PUBLIC_RSVP_STATUSES))
    keys: list[SortKey] = [asc(EventRsvp.id)]
    if status is not None:
        statement = statement.where(EventRsvp.status == status)
    if status == RsvpStatus.WAITLISTED:
        keys = [asc(EventRsvp.waitlist_ticket), asc(EventRsvp.id)]  # the queue's order
    return paginate(session, statement, keys=keys, params=params)
