"""Check-ins: organizers mark who attended a published event, once per member."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.core import domain_events
from app.core.clock import utcnow
from app.core.db import upsert_insert
from app.core.pagination import PageParams, asc, paginate
from app.events.access import ensure_published, get_visible
from app.events.exceptions import CheckInNotFound
from app.i18n import N_
from app.members.exceptions import MemberNotFound
from app.models import EventCheckIn, Member
from app.problems.details import does_not_exist


def _active_member(session: Session, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None or not member.is_active:
        raise does_not_exist(MemberNotFound, N_("Member"), member_id)
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
    ensure_published(
        get_visible(session, event_id=event_id, viewer=organizer), what=N_("Check-ins")
    )
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
            session,
            domain_events.EventAttended(actor_id=member_id, event_id=event_id, member_id=member_id),
        )
    return get_check_in(session, event_id=event_id, member_id=member_id), created


def get_check_in(session: Session, *, event_id: int, member_id: int) -> EventCheckIn:
    found = session.get(EventCheckIn, (event_id, member_id))
    if found is None:
        raise CheckInNotFound(
            N_("Member {member_id} is not checked in to event {event_id}."),
            values={"member_id": member_id, "event_id": event_id},
        )
    return found


def list_check_ins(
    session: Session, *, event_id: int, params: PageParams, viewer: Member
) -> tuple[list[EventCheckIn], str | None]:
    get_visible(session, event_id=event_id, viewer=viewer)
    statement = select(EventCheckIn).where(EventCheckIn.event_id == event_id)
    keys = [asc(EventCheckIn.checked_in_at), asc(EventCheckIn.member_id)]
    return paginate(session, statement, keys=keys, params=params)
