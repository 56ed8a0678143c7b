"""Calendar feeds: which events a feed holds, and the secret tokens of members' own feeds.

The iCalendar document itself is built by app.events.calendar.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.core.db import upsert_insert
from app.core.security import FEED_PREFIX, hash_secret, new_secret
from app.events.exceptions import InvalidFeedToken
from app.events.schemas import CalendarFilters
from app.models import CalendarFeedToken, Event, EventRsvp, EventStatus, Member, RsvpStatus

# The public feed is a window, not an archive: calendar apps poll it often.
FEED_LIMIT = 500


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
