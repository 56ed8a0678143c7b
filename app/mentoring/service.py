"""Mentorships: requests, answers and the mentor's spots (the directory of mentors is
app.mentors; the mentor profile, app.mentoring.profiles).

How capacity holds under concurrency: a mentor's spot is taken only by the conditional
`UPDATE mentor_profiles SET active_count = active_count + 1 WHERE active_count < capacity`,
whose row count says whether a spot was free; the CHECK `active_count <= capacity` on the
row makes overbooking impossible whatever the code does. Two acceptances at once queue on
that row (PostgreSQL re-evaluates the condition for the second; SQLite serialises writers),
so with one spot left exactly one wins. A mentorship changes state only while its row is
locked, so one request cannot be answered twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.core.db import NO_SYNC, rows_affected
from app.core.domain_events import (
    MentorshipAccepted,
    MentorshipChanged,
    MentorshipCompleted,
    MentorshipDeclined,
    MentorshipRequested,
    publish,
)
from app.core.pagination import PageParams, desc, paginate
from app.core.tables import id_of
from app.i18n import N_
from app.mentoring.exceptions import (
    CannotMentorSelf,
    InvalidTransition,
    MentorAtCapacity,
    MentorNotFound,
    MentorNotOpen,
    MentorshipAlreadyOpen,
    MentorshipNotFound,
    NotMentor,
)
from app.mentoring.schemas import (
    MentorshipCreate,
    MentorshipFilters,
    MentorshipParty,
    MentorshipPublic,
)
from app.models import Member, MentorProfile, Mentorship, MentorshipStatus
from app.problems.details import does_not_exist

# (from, to) → what happens to the mentor's spots.
TAKES_SPOT, FREES_SPOT, KEEPS_SPOTS = 1, -1, 0
TRANSITIONS = {
    (MentorshipStatus.PENDING, MentorshipStatus.ACCEPTED): TAKES_SPOT,
    (MentorshipStatus.PENDING, MentorshipStatus.DECLINED): KEEPS_SPOTS,
    (MentorshipStatus.ACCEPTED, MentorshipStatus.COMPLETED): FREES_SPOT,
    (MentorshipStatus.ACCEPTED, MentorshipStatus.DECLINED): FREES_SPOT,
}


# --- mentorships ---------------------------------------------------------------------------


def request_mentorship(session: Session, *, mentee: Member, data: MentorshipCreate) -> Mentorship:
    """A `pending` request to a mentor whose profile is open; one open request per pair."""
    if data.mentor_id == mentee.id:
        raise CannotMentorSelf()
    mentor = session.get(Member, data.mentor_id)
    if mentor is None or not mentor.is_active:
        raise does_not_exist(MentorNotFound, N_("Member"), data.mentor_id)
    _ensure_open(session, mentor_id=data.mentor_id)
    mentorship = Mentorship(
        mentor_id=data.mentor_id,
        mentee_id=id_of(mentee),
        goal=data.goal,
        status=MentorshipStatus.PENDING,
    )
    try:
        # The partial unique index decides duplicates, also two sent at the same moment.
        with session.begin_nested():
            session.add(mentorship)
    except IntegrityError as error:
        raise MentorshipAlreadyOpen(
            N_("You already have a pending or accepted mentorship with this mentor.")
        ) from error
    _announce(session, mentorship, MentorshipRequested, actor_id=id_of(mentee))
    return mentorship


def is_open(session: Session, *, mentor_id: int) -> bool:
    """Whether the member's mentor profile is listed and takes requests."""
    profile = session.execute(
        select(MentorProfile.is_listed, MentorProfile.is_open).where(
            MentorProfile.member_id == mentor_id
        )
    ).first()
    return profile is not None and all(profile)


def _ensure_open(session: Session, *, mentor_id: int) -> None:
    if not is_open(session, mentor_id=mentor_id):
        raise MentorNotOpen(
            N_("Member {mentor_id} does not take mentorship requests now."),
            values={"mentor_id": mentor_id},
        )


def _visible(mentorship: Mentorship | None, mentorship_id: int, viewer: Member) -> Mentorship:
    """Only its mentor and mentee know a mentorship exists."""
    if mentorship is None or viewer.id not in (mentorship.mentor_id, mentorship.mentee_id):
        raise does_not_exist(MentorshipNotFound, N_("Mentorship"), mentorship_id)
    return mentorship


def get_mentorship(session: Session, *, mentorship_id: int, viewer: Member) -> Mentorship:
    return _visible(session.get(Mentorship, mentorship_id), mentorship_id, viewer)


def lock_for_answer(session: Session, *, mentorship_id: int, mentor: Member) -> Mentorship:
    """The mentorship, locked, for its mentor; the mentee gets 403, anyone else 404."""
    statement = (
        select(Mentorship)
        .where(Mentorship.id == mentorship_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    mentorship = _visible(session.exec(statement).first(), mentorship_id, mentor)
    if mentorship.mentor_id != mentor.id:
        raise NotMentor(N_("Only the mentor answers, completes or ends a mentorship."))
    return mentorship


def answer(
    session: Session,
    *,
    mentorship: Mentorship,
    status: MentorshipStatus,
    now: datetime | None = None,
) -> Mentorship:
    """Moves a locked mentorship to `status`, taking or freeing the mentor's spot."""
    now = now or utcnow()
    was = MentorshipStatus(mentorship.status)
    spots = TRANSITIONS.get((was, status))
    if spots is None:
        raise InvalidTransition(
            N_("A {was} mentorship cannot become {status}."),
            values={"was": was.value, "status": status.value},
        )
    if spots == TAKES_SPOT:
        _take_spot(session, mentor_id=mentorship.mentor_id)
    elif spots == FREES_SPOT:
        _free_spot(session, mentor_id=mentorship.mentor_id)
    mentorship.status, mentorship.updated_at = status, now
    if was == MentorshipStatus.PENDING:
        mentorship.answered_at = now
    else:
        mentorship.ended_at = now
    session.add(mentorship)
    session.flush()
    _announce(session, mentorship, _ANSWERS[status], actor_id=mentorship.mentor_id)
    return mentorship


def _take_spot(session: Session, *, mentor_id: int) -> None:
    """The one place a spot is taken: a conditional UPDATE that fails when none is free."""
    statement = (
        sa.update(MentorProfile)
        .where(
            col(MentorProfile.member_id) == mentor_id,
            col(MentorProfile.active_count) < col(MentorProfile.capacity),
        )
        .values(active_count=col(MentorProfile.active_count) + 1)
    )
    if rows_affected(session.execute(statement, execution_options=NO_SYNC)) == 0:
        raise MentorAtCapacity(
            N_("Every spot is taken; complete or end a mentorship first, or raise your capacity.")
        )


def _free_spot(session: Session, *, mentor_id: int) -> None:
    statement = (
        sa.update(MentorProfile)
        .where(col(MentorProfile.member_id) == mentor_id, col(MentorProfile.active_count) > 0)
        .values(active_count=col(MentorProfile.active_count) - 1)
    )
    session.execute(statement, execution_options=NO_SYNC)


# What each status a mentorship moves to announces.
_ANSWERS: dict[MentorshipStatus, type[MentorshipChanged]] = {
    MentorshipStatus.ACCEPTED: MentorshipAccepted,
    MentorshipStatus.DECLINED: MentorshipDeclined,
    MentorshipStatus.COMPLETED: MentorshipCompleted,
}


def _announce(
    session: Session,
    mentorship: Mentorship,
    kind: type[MentorshipChanged],
    *,
    actor_id: int,
) -> None:
    publish(
        session,
        kind(
            actor_id=actor_id,
            mentorship_id=id_of(mentorship),
            mentor_id=mentorship.mentor_id,
            mentee_id=mentorship.mentee_id,
        ),
    )


def list_mentorships(
    session: Session, *, member: Member, filters: MentorshipFilters, params: PageParams
) -> tuple[list[Mentorship], str | None]:
    mine = {
        "mentor": col(Mentorship.mentor_id) == member.id,
        "mentee": col(Mentorship.mentee_id) == member.id,
    }
    condition = mine[filters.role] if filters.role else sa.or_(*mine.values())
    statement = select(Mentorship).where(condition)
    if filters.status is not None:
        statement = statement.where(Mentorship.status == filters.status)
    return paginate(session, statement, keys=[desc(Mentorship.id)], params=params)


def present_mentorships(
    session: Session, mentorships: Sequence[Mentorship]
) -> list[MentorshipPublic]:
    """Mentorships with both parties, in one query for any number."""
    ids = {m.mentor_id for m in mentorships} | {m.mentee_id for m in mentorships}
    parties = {
        row.id: MentorshipParty.model_validate(row, from_attributes=True)
        for row in session.execute(
            sa.select(Member.id, Member.handle, Member.display_name, Member.avatar_url).where(  # type: ignore[call-overload]
                col(Member.id).in_(ids)
            )
        )
    }
    return [
        MentorshipPublic(
            id=id_of(m),
            mentor=parties[m.mentor_id],
            mentee=parties[m.mentee_id],
            goal=m.goal,
            status=MentorshipStatus(m.status),
            created_at=m.created_at,
            updated_at=m.updated_at,
            answered_at=m.answered_at,
            ended_at=m.ended_at,
        )
        for m in mentorships
    ]
