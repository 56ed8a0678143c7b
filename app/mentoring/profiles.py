"""Mentor profiles as part of a member's profile: read for a page of members in one query,
written through `PATCH /api/v1/members/me`.

Closing a profile (`mentoring: null`) only unlists it: the row keeps `active_count`, the
spots taken by mentorships still under way, so reopening later cannot overbook.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from app.core.clock import utcnow
from app.core.db import rows_affected
from app.mentoring.exceptions import CapacityBelowActive
from app.mentoring.schemas import MentoringProfile, MentoringProfileUpdate
from app.models import MentorProfile, MentorTopic
from app.readmodels import ReadStatement

# Built once: it runs for every page of the member directory.
_LISTED_PROFILES = ReadStatement(
    sa.select(  # type: ignore[call-overload]
        MentorProfile.member_id,
        MentorProfile.is_open,
        MentorProfile.capacity,
        MentorTopic.value,
    )
    .outerjoin(MentorTopic, col(MentorTopic.member_id) == col(MentorProfile.member_id))
    .where(
        col(MentorProfile.member_id).in_(sa.bindparam("member_ids", expanding=True)),
        col(MentorProfile.is_listed).is_(True),
    )
    .order_by(col(MentorProfile.member_id), col(MentorTopic.position))
)


def load(session: Session | Connection, member_ids: Iterable[int]) -> dict[int, MentoringProfile]:
    """The listed mentor profiles of these members, topics included, in one query."""
    ids = list(member_ids)
    if not ids:
        return {}
    rows = _LISTED_PROFILES.rows(session, {"member_ids": ids})
    profiles: dict[int, MentoringProfile] = {}
    for member_id, is_open, capacity, topic in rows:
        profile = profiles.setdefault(
            member_id, MentoringProfile(open=is_open, topics=[], capacity=capacity)
        )
        if topic is not None:
            profile.topics.append(topic)
    return profiles


def save(session: Session, *, member_id: int, profile: MentoringProfileUpdate | None) -> None:
    """Opens, replaces or (with None) closes the member's mentor profile."""
    now = utcnow()
    statement = sa.update(MentorProfile).where(col(MentorProfile.member_id) == member_id)
    if profile is None:
        session.execute(statement.values(is_listed=False, updated_at=now))
        return
    # Conditional, like taking a spot: a capacity below the mentorships under way is
    # refused even when an acceptance lands at the same moment.
    changed = session.execute(
        statement.where(col(MentorProfile.active_count) <= profile.capacity).values(
            is_listed=True, is_open=profile.open, capacity=profile.capacity, updated_at=now
        )
    )
    if rows_affected(changed) == 0:
        _create_or_refuse(session, member_id=member_id, profile=profile)
    _replace_topics(session, member_id=member_id, topics=profile.topics)


def _create_or_refuse(session: Session, *, member_id: int, profile: MentoringProfileUpdate) -> None:
    active = session.execute(
        sa.select(col(MentorProfile.active_count)).where(col(MentorProfile.member_id) == member_id)
    ).scalar()
    if active is not None:
        raise CapacityBelowActive(active)
    now = utcnow()
    created = MentorProfile(
        member_id=member_id,
        is_open=profile.open,
        capacity=profile.capacity,
        created_at=now,
        updated_at=now,
    )
    session.add(created)
    session.flush()


def _replace_topics(session: Session, *, member_id: int, topics: list[str]) -> None:
    session.execute(sa.delete(MentorTopic).where(col(MentorTopic.member_id) == member_id))
    unique: dict[str, str] = {}
    for topic in topics:
        unique.setdefault(topic.lower(), topic)
    rows = [
        {"member_id": member_id, "value_key": key, "value": value, "position": position}
        for position, (key, value) in enumerate(unique.items())
    ]
    if rows:
        session.execute(sa.insert(MentorTopic), rows)
