"""The directory of mentors: members with an open mentor profile, and suggestions for a mentee.

Each mentor is shown as the member directory shows them (app.members), mentor profile
included (app.mentoring), so the directory sits above both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.pagination import PageParams, SortKey, asc, desc, paginate, paginate_rows
from app.core.tables import id_of
from app.members import service as members
from app.members.schemas import MemberPublic
from app.mentors.schemas import MentorFilters, MentorPublic, MentorSuggestion
from app.models import Member, MentorProfile, Mentorship, MentorshipStatus, MentorTopic, TagKind

_SPOTS_LEFT = col(MentorProfile.capacity) - col(MentorProfile.active_count)
_OPEN = (MentorshipStatus.PENDING, MentorshipStatus.ACCEPTED)


def _listed_mentors() -> Any:
    """Open, listed profiles of active members."""
    return (
        select(MentorProfile)
        .join(Member, col(Member.id) == col(MentorProfile.member_id))
        .where(
            col(MentorProfile.is_listed).is_(True),
            col(MentorProfile.is_open).is_(True),
            col(Member.is_active).is_(True),
        )
    )


def list_mentors(
    session: Session, *, filters: MentorFilters, params: PageParams
) -> tuple[list[MentorProfile], str | None]:
    statement = _listed_mentors()
    if filters.topic is not None:
        statement = statement.where(
            select(MentorTopic.member_id)
            .where(
                MentorTopic.member_id == MentorProfile.member_id,
                MentorTopic.value_key == filters.topic.lower(),
            )
            .exists()
        )
    if filters.available:
        statement = statement.where(_SPOTS_LEFT > 0)
    return paginate(session, statement, keys=[asc(MentorProfile.member_id)], params=params)


def present_mentors(
    session: Session, profiles: Sequence[MentorProfile], *, viewer: Member
) -> list[MentorPublic]:
    """Mentors with their full profiles, in three queries for any number."""
    public = _public_members(session, (p.member_id for p in profiles), viewer=viewer)
    return [
        MentorPublic(member=public[p.member_id], spots_left=p.capacity - p.active_count)
        for p in profiles
    ]


def _public_members(
    session: Session, member_ids: Iterable[int], *, viewer: Member
) -> dict[int, MemberPublic]:
    rows = list(session.exec(select(Member).where(col(Member.id).in_(list(member_ids)))))
    return {public.id: public for public in members.present_many(session, rows, viewer=viewer)}


def suggest_mentors(
    session: Session, *, member: Member, params: PageParams
) -> tuple[list[MentorSuggestion], str | None]:
    """Mentors for the caller, best first, a keyset page at a time. The order, in full:

    1. how many of the mentor's topics match the caller's disciplines or skills (any case),
       most first;
    2. spots left, most first;
    3. mentors in the caller's city before others;
    4. the mentor's member id, oldest first (a stable tie-break).

    Left out: the caller, closed or full profiles, deactivated members, and mentors the
    caller already has a pending or accepted mentorship with.
    """
    tags = members.load_tags(session, [id_of(member)])[id_of(member)]
    keys = {value.lower() for value in (*tags[TagKind.DISCIPLINE], *tags[TagKind.SKILL])}
    statement, order = _ranking(member, keys=keys)
    ranked, next_cursor = paginate_rows(session, statement, keys=order, params=params)
    public = _public_members(session, (row[0].member_id for row in ranked), viewer=member)
    suggestions = []
    for row in ranked:
        mentor = public[row[0].member_id]
        topics = mentor.mentoring.topics if mentor.mentoring else []
        matched = [topic for topic in topics if topic.lower() in keys]
        suggestions.append(
            MentorSuggestion(
                member=mentor,
                spots_left=row.spots,
                matched_topics=matched,
                same_city=row.same_city,
            )
        )
    return suggestions, next_cursor


def _ranking(member: Member, *, keys: set[str]) -> tuple[Any, list[SortKey]]:
    """(profile, matching topics, spots left, same city, mentor id) of the mentors the caller
    may ask, and the ranking's order. A criterion that cannot tell mentors apart (no
    disciplines or skills, no city) is a constant, so every page's cursor has the same keys."""
    matching = (_matching_topics(keys) if keys else sa.literal_column("0", sa.Integer)).label(
        "matching"
    )
    spots = _SPOTS_LEFT.label("spots")
    same_city = (
        sa.func.coalesce(col(Member.city_key) == member.city_key, sa.false())
        if member.city_key is not None
        else sa.false()
    ).label("same_city")
    mentor_id: sa.Label[int] = col(MentorProfile.member_id).label("mentor_id")
    statement = (
        _listed_mentors()
        .add_columns(matching, spots, same_city, mentor_id)
        .where(col(MentorProfile.member_id) != member.id, _SPOTS_LEFT > 0)
        .where(~_has_open_mentorship(mentee_id=id_of(member)))
    )
    return statement, [desc(matching), desc(spots), desc(same_city), asc(mentor_id)]


def _matching_topics(keys: set[str]) -> sa.ColumnElement[int]:
    """How many of the mentor's topics are among `keys`."""
    return (
        select(sa.func.count())
        .select_from(MentorTopic)
        .where(
            col(MentorTopic.member_id) == col(MentorProfile.member_id),
            col(MentorTopic.value_key).in_(sorted(keys)),
        )
        .correlate(MentorProfile)
        .scalar_subquery()
    )


def _has_open_mentorship(*, mentee_id: int) -> sa.ColumnElement[bool]:
    return (
        select(Mentorship.id)
        .where(
            col(Mentorship.mentor_id) == col(MentorProfile.member_id),
            Mentorship.mentee_id == mentee_id,
            col(Mentorship.status).in_(_OPEN),
        )
        .exists()
    )
