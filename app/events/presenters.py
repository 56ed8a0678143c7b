"""Events, RSVPs and check-ins as the API shows them: a page of any length in a fixed
number of queries (the viewer's RSVPs, the members named, the waitlist positions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.core.tables import id_of
from app.events.schemas import CheckInPublic, EventMember, EventPublic, RsvpPublic
from app.media.presenters import media_by_id
from app.media.schemas import MediaOut
from app.models import Event, EventCheckIn, EventRsvp, Member, RsvpStatus, is_organizer


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


def to_public(
    event: Mapping[Any, Any],
    *,
    my_status: RsvpStatus | None,
    sees_online_url: bool,
    cover: MediaOut | None = None,
) -> EventPublic:
    """The event's columns (an entity's, or a read model's row) as the viewer sees them."""
    capacity = event["capacity"]
    return EventPublic.model_validate(
        {
            **event,
            "online_url": event["online_url"] if sees_online_url else None,
            "spots_left": None if capacity is None else capacity - event["going_count"],
            "my_rsvp_status": my_status,
            "cover": cover,
        }
    )


def present_many(
    session: Session, events: Sequence[Event], *, viewer: Member | None
) -> list[EventPublic]:
    """Events as the viewer sees them, with one query for the viewer's RSVPs and one for
    the covers."""
    ids = [id_of(event) for event in events]
    statuses = _viewer_statuses(session, ids, viewer)
    covers = media_by_id(session, (e.cover_media_id for e in events if e.cover_media_id))
    organizer = is_organizer(viewer)
    return [
        to_public(
            event.model_dump(exclude={"city_key", "waitlist_seq"}),
            my_status=statuses.get(event_id),
            sees_online_url=organizer or statuses.get(event_id) == RsvpStatus.GOING,
            cover=covers.get(event.cover_media_id) if event.cover_media_id else None,
        )
        for event, event_id in zip(events, ids, strict=True)
    ]


def present(session: Session, event: Event, *, viewer: Member | None) -> EventPublic:
    return present_many(session, [event], viewer=viewer)[0]


def sees_online_url(session: Session, event: Event, *, viewer: Member | None) -> bool:
    return present(session, event, viewer=viewer).online_url is not None


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
    found = {id_of(m): m for m in known}
    missing = set(member_ids) - found.keys()
    if missing:
        found.update(
            (id_of(m), m) for m in session.exec(select(Member).where(col(Member.id).in_(missing)))
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
            waitlist_position=positions.get(id_of(r)),
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in rsvps
    ]


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
