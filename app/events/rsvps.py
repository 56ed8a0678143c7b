"""RSVPs: a seat while there is one, else a place on a first-come, first-served waitlist.

How capacity holds under concurrency: every change to an event's RSVPs first locks the
event row (`SELECT … FOR UPDATE`; PostgreSQL is READ COMMITTED, while SQLite already
serialises writers), so RSVPs of one event are decided one at a time, always locking the
event before any RSVP row (no deadlocks). The lock returns the row's latest version, so the
seat is decided from counts nobody can change before the commit; a CHECK constraint on the
row makes overbooking impossible whatever the code does.

An answer is two statements: the event locked and read together with the member's RSVP,
then the event's counters and the member's row written together (one statement on
PostgreSQL, two on SQLite, which has no UPDATE inside WITH). The RSVP read with the lock may
be stale on PostgreSQL: a statement that waited for the lock returns the event row as
committed since, but the other rows it joins as they were when it began, so the member's
own concurrent request may have changed their RSVP meanwhile. The write therefore applies
only while the member's row still has the answer that was read; otherwise the RSVP is read
again (now current: the lock is held) and the answer decided anew.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core import domain_events
from app.core.clock import utcnow
from app.core.db import rows_affected, upsert_insert
from app.core.pagination import PageParams, SortKey, asc, paginate
from app.core.tables import id_of
from app.events.access import EventState, check_visible, ensure_published, get_visible
from app.events.exceptions import EventEnded, RsvpListRestricted, RsvpNotFound
from app.events.schemas import RsvpChoice
from app.i18n import N_
from app.models import Event, EventRsvp, EventStatus, Member, RsvpStatus, is_organizer

# What members other than organizers may see in an event's RSVP list.
PUBLIC_RSVP_STATUSES = (RsvpStatus.GOING, RsvpStatus.INTERESTED)


class Occurrence(EventState, Protocol):
    """What deciding RSVPs reads of an event: an Event, or the columns locked for an RSVP."""

    @property
    def ends_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class _Locked:
    """The event as an RSVP needs it, read with its row lock (so its counts are current)."""

    id: int
    status: str
    ends_at: datetime
    capacity: int | None
    going_count: int
    waitlist_count: int


@dataclass(frozen=True, slots=True)
class _Move:
    """What an answer does to the event's counters: seats, places in line, a new ticket."""

    going: int = 0
    waiting: int = 0
    ticketed: int = 0  # 1: the answer takes the next waitlist ticket


_STAY = _Move()


# The statements of an RSVP, built once with bound parameters (named unlike any column: an
# UPDATE would take a parameter named as a column for SET): building one and its cache key
# per call cost about as much CPU as running it.
_EVENTS = cast(sa.Table, Event.__table__)  # type: ignore[attr-defined]
_RSVPS = cast(sa.Table, EventRsvp.__table__)  # type: ignore[attr-defined]
_EVENT = sa.bindparam("event", type_=sa.Integer)
_MEMBER = sa.bindparam("member", type_=sa.Integer)
_SEATS = sa.bindparam("seats", type_=sa.Integer)
_WAS = sa.bindparam("was", type_=_RSVPS.c.status.type)
_THEIR_RSVP = sa.and_(_RSVPS.c.event_id == _EVENT, _RSVPS.c.member_id == _MEMBER)
# What an answer writes of the member's row (the id is the database's); with the id, what
# is read of it.
_WRITTEN = ("event_id", "member_id", "status", "waitlist_ticket", "created_at", "updated_at")
_READ = tuple(_RSVPS.c[name] for name in ("id", *_WRITTEN))
_RSVP_OF_MEMBER = sa.select(*_READ).where(_THEIR_RSVP)
# The event locked (its row only: the member's RSVP may not exist) with the member's RSVP.
_LOCK_WITH_RSVP = (
    sa.select(
        _EVENTS.c.id,
        _EVENTS.c.status,
        _EVENTS.c.ends_at,
        _EVENTS.c.capacity,
        _EVENTS.c.going_count,
        _EVENTS.c.waitlist_count,
        *_READ,
    )
    .select_from(_EVENTS.outerjoin(_RSVPS, sa.and_(_THEIR_RSVP, _RSVPS.c.event_id == _EVENTS.c.id)))
    .where(_EVENTS.c.id == _EVENT)
    .with_for_update(of=_EVENTS)
)
# The member's answer as it is now (none yet: not going), which the write expects to be `was`.
_STILL_AS_READ = (
    sa.func.coalesce(
        sa.select(_RSVPS.c.status).where(_THEIR_RSVP).scalar_subquery(),
        RsvpStatus.NOT_GOING.value,
    )
    == _WAS
)
_TICKETED = sa.bindparam("ticketed", type_=sa.Integer)
# The counters moved, returning the member's waitlist ticket (none unless `ticketed`).
_MOVE = (
    sa.update(_EVENTS)
    .where(_EVENTS.c.id == _EVENT, _STILL_AS_READ)
    .values(
        going_count=_EVENTS.c.going_count + sa.bindparam("going", type_=sa.Integer),
        waitlist_count=_EVENTS.c.waitlist_count + sa.bindparam("waiting", type_=sa.Integer),
        waitlist_seq=_EVENTS.c.waitlist_seq + _TICKETED,
    )
    .returning(sa.case((_TICKETED == 1, _EVENTS.c.waitlist_seq)).label("ticket"))
)
# Promotion's seats: only while free (the waitlisted RSVPs were read under the same lock).
_TAKE_SEATS = (
    sa.update(_EVENTS)
    .where(
        _EVENTS.c.id == _EVENT,
        sa.or_(_EVENTS.c.capacity.is_(None), _EVENTS.c.going_count + _SEATS <= _EVENTS.c.capacity),
    )
    .values(
        going_count=_EVENTS.c.going_count + _SEATS, waitlist_count=_EVENTS.c.waitlist_count - _SEATS
    )
)


def _build_write(dialect: str, *, rows: Any = None) -> Any:
    """The member's row with its answer, inserted or updated by one statement, returning
    it; `rows`: where its values come from (the moved counters), else the bound values."""
    insert = partial(upsert_insert, dialect)  # a worker never loads the other's modules
    answer = sa.bindparam("answer", type_=_RSVPS.c.status.type)
    since = sa.bindparam("since", type_=_RSVPS.c.created_at.type)
    at = sa.bindparam("at", type_=_RSVPS.c.updated_at.type)
    if rows is None:
        ticket: Any = sa.bindparam("ticket", type_=sa.Integer)
        values = (_EVENT, _MEMBER, answer, ticket, since, at)
        upsert = insert(_RSVPS).values(dict(zip(_WRITTEN, values, strict=True)))
    else:
        moved = sa.select(_EVENT, _MEMBER, answer, rows.c.ticket, since, at)
        upsert = insert(_RSVPS).from_select(_WRITTEN, moved)
    changed = ("status", "waitlist_ticket", "updated_at")
    upsert = upsert.on_conflict_do_update(
        index_elements=["event_id", "member_id"],
        set_={name: upsert.excluded[name] for name in changed},
        # Moved counters checked the answer already; alone, the row checks it itself.
        where=None if rows is not None else _RSVPS.c.status == _WAS,
    )
    written = (
        _RSVPS.c.id,
        _RSVPS.c.waitlist_ticket.label("ticket"),
        _RSVPS.c.created_at.label("since"),
    )
    return upsert.returning(*written)


@cache
def _write_statement(dialect: str) -> Any:
    """The member's row written alone (built once per dialect, at its first use)."""
    return _build_write(dialect)


@cache
def _move_and_write() -> Any:
    """PostgreSQL: the counters and the row in one statement (nothing written unless both
    are)."""
    return _build_write("postgresql", rows=_MOVE.cte("moved"))


def _rsvp_from(row: Sequence[Any]) -> EventRsvp:
    """An RSVP from its id and its `_WRITTEN` columns, in that order (`_READ`)."""
    return EventRsvp(**dict(zip(("id", *_WRITTEN), row, strict=True)))


def _lock_for_rsvp(
    session: Session, *, event_id: int, member: Member, now: datetime
) -> tuple[_Locked, EventRsvp]:
    """The event, locked and open for answers, and the member's RSVP (apart from the
    Session; one not yet answered is a new `not_going` row: no seat, no ticket)."""
    member_id = id_of(member)
    found = session.execute(_LOCK_WITH_RSVP, {"event": event_id, "member": member_id}).first()
    event = check_visible(_Locked(*found[:6]) if found else None, event_id, member)
    ensure_published(event, what=N_("RSVPs"))
    if event.ends_at <= now:
        raise EventEnded(N_("Event {event_id} has ended."), values={"event_id": event_id})
    assert found is not None  # check_visible refuses a missing event
    if found[6] is None:  # the RSVP's id: none yet
        return event, _unanswered(event_id=event_id, member_id=member_id, now=now)
    return event, _rsvp_from(found[6:])


def _unanswered(*, event_id: int, member_id: int, now: datetime) -> EventRsvp:
    return _rsvp_from((None, event_id, member_id, RsvpStatus.NOT_GOING, None, now, now))


def _reread(session: Session, *, event_id: int, member_id: int, now: datetime) -> EventRsvp:
    """The member's RSVP as it is now: read while the event's lock is held, nobody can
    change it before the commit (and the unique (event_id, member_id) constraint backs
    that)."""
    found = session.execute(_RSVP_OF_MEMBER, {"event": event_id, "member": member_id}).first()
    if found is not None:
        return _rsvp_from(found)
    return _unanswered(event_id=event_id, member_id=member_id, now=now)


def _decide(event: _Locked, was: str, choice: RsvpChoice) -> tuple[str, _Move]:
    """The member's new answer and what it does to the event's counters. `going` takes a
    seat or joins the waitlist; a member already going or waitlisted keeps their place."""
    if choice == RsvpChoice.GOING:
        if was in (RsvpStatus.GOING, RsvpStatus.WAITLISTED):
            return was, _STAY
        if event.capacity is None or event.going_count < event.capacity:
            return RsvpStatus.GOING, _Move(going=1)
        return RsvpStatus.WAITLISTED, _Move(waiting=1, ticketed=1)
    if was == RsvpStatus.GOING:
        return choice, _Move(going=-1)  # a seat freed: the first in line takes it
    if was == RsvpStatus.WAITLISTED:
        return choice, _Move(waiting=-1)
    return choice, _STAY


def _parameters(rsvp: EventRsvp, *, answer: str, move: _Move, now: datetime) -> dict[str, Any]:
    return {
        "event": rsvp.event_id,
        "member": rsvp.member_id,
        "was": rsvp.status,
        "answer": answer,
        "since": rsvp.created_at,
        "at": now,
        "going": move.going,
        "waiting": move.waiting,
        "ticketed": move.ticketed,
        "ticket": None,
    }


def _write(session: Session, params: dict[str, Any], move: _Move) -> sa.Row[Any] | None:
    """Moves the counters and writes the member's row, only while their row still has the
    answer read (`was`); the row written (id, ticket, created_at), or None when it had not."""
    dialect = session.get_bind().dialect.name
    if move == _STAY:
        return session.execute(_write_statement(dialect), params).first()
    if dialect == "postgresql":
        return session.execute(_move_and_write(), params).first()
    moved = session.execute(_MOVE, params).first()
    if moved is None:
        return None
    return session.execute(_write_statement(dialect), {**params, "ticket": moved.ticket}).first()


def _answer(
    session: Session, event: _Locked, rsvp: EventRsvp, choice: RsvpChoice, now: datetime
) -> bool:
    """Gives the member's RSVP the answer `choice`; False (nothing written) when their row
    no longer had the answer read."""
    answer, move = _decide(event, rsvp.status, choice)
    if answer == rsvp.status and rsvp.id is not None:
        return True  # nothing changes
    written = _write(session, _parameters(rsvp, answer=answer, move=move, now=now), move)
    if written is None:
        return False
    rsvp.id, rsvp.waitlist_ticket, rsvp.created_at = written.id, written.ticket, written.since
    rsvp.status, rsvp.updated_at = answer, now
    if move.going < 0:
        _seat_freed(session, event, now=now)
    return True


def _seat_freed(session: Session, event: _Locked, *, now: datetime) -> None:
    """The first in line takes the seat the member gave up (the counts read with the lock,
    less that seat, are the event's now)."""
    counts = (event.capacity, event.going_count - 1, event.waitlist_count)
    promote_waitlisted(session, event, now=now, counts=counts)


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
    event, rsvp = _lock_for_rsvp(session, event_id=event_id, member=member, now=now)
    if not _answer(session, event, rsvp, choice, now):
        rsvp = _reread(session, event_id=event_id, member_id=id_of(member), now=now)
        answered = _answer(session, event, rsvp, choice, now)
        assert answered, "nothing changes an RSVP without the event's lock"
    return rsvp


def _take_seats(session: Session, *, event_id: int, seats: int) -> bool:
    """Seats for the first in line: a conditional UPDATE; True when they were free."""
    return rows_affected(session.execute(_TAKE_SEATS, {"event": event_id, "seats": seats})) == 1


Counts = tuple[int | None, int, int]  # an event's capacity, going and waitlist counts


def _next_in_line(session: Session, event: Occurrence, counts: Counts | None) -> list[EventRsvp]:
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
    session: Session, event: Occurrence, *, now: datetime, counts: Counts | None = None
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
    if not seats or not _take_seats(session, event_id=event_id, seats=seats):
        return  # nobody waiting, or (unreachable under the lock) the database refused
    for rsvp in promoted:
        rsvp.status, rsvp.waitlist_ticket, rsvp.updated_at = RsvpStatus.GOING, None, now
    session.flush()
    for rsvp in promoted:
        domain_events.publish(
            session,
            domain_events.EventWaitlistPromoted(event_id=event_id, member_id=rsvp.member_id),
        )


def delete_rsvp(
    session: Session, *, event_id: int, member: Member, now: datetime | None = None
) -> None:
    """Withdraws the member's RSVP (nothing to do if there is none)."""
    now = now or utcnow()
    event, rsvp = _lock_for_rsvp(session, event_id=event_id, member=member, now=now)
    if not _withdraw(session, event, rsvp, now):
        rsvp = _reread(session, event_id=event_id, member_id=id_of(member), now=now)
        withdrawn = _withdraw(session, event, rsvp, now)
        assert withdrawn, "nothing changes an RSVP without the event's lock"


_DELETE = sa.delete(_RSVPS).where(_THEIR_RSVP, _RSVPS.c.status == _WAS)


def _withdraw(session: Session, event: _Locked, rsvp: EventRsvp, now: datetime) -> bool:
    """Deletes the member's RSVP with its seat or place in line; False (nothing written)
    when their row no longer had the answer read."""
    if rsvp.id is None:
        return True  # nothing to withdraw
    _, move = _decide(event, rsvp.status, RsvpChoice.NOT_GOING)
    params = _parameters(rsvp, answer=RsvpStatus.NOT_GOING, move=move, now=now)
    if move != _STAY and session.execute(_MOVE, params).first() is None:
        return False
    if rows_affected(session.execute(_DELETE, params)) == 0:
        return False  # only when no counters moved: moving them checked the answer first
    if move.going < 0:
        _seat_freed(session, event, now=now)
    return True


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
