"""The way in for silent readers: the first things a newcomer can do, and which they did.

All six answers come from one statement of EXISTS subqueries, each answered by an index on
the member's column (tags, RSVPs, comments, votes, submissions, mentorships), so the
checklist costs one round trip however active the member is.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from app.members.schemas import FirstStep, FirstStepKey, FirstSteps
from app.models import (
    Comment,
    EventRsvp,
    Member,
    MemberTag,
    Mentorship,
    RsvpStatus,
    Submission,
    TagKind,
    Vote,
)

TITLES = {
    FirstStepKey.COMPLETE_PROFILE: "Complete your profile: a bio and your disciplines",
    FirstStepKey.JOIN_EVENT: "Join an event",
    FirstStepKey.GIVE_FEEDBACK: "Give feedback on someone's work",
    FirstStepKey.CAST_VOTE: "Vote in a challenge",
    FirstStepKey.FIRST_SUBMISSION: "Submit your first work",
    FirstStepKey.FIND_MENTOR: "Find a mentor",
}

_MEMBER = sa.bindparam("member_id", type_=sa.Integer)


def _exists(table: Any, *conditions: sa.ColumnElement[bool]) -> sa.Exists:
    return sa.exists().select_from(table).where(*conditions)


def _gave_feedback() -> sa.Exists:
    """A comment standing on a work by someone else (feedback on one's own work is not)."""
    return _exists(
        sa.join(Comment, Submission, col(Submission.id) == col(Comment.submission_id)),
        col(Comment.author_id) == _MEMBER,
        col(Submission.member_id) != _MEMBER,
        col(Comment.deleted_at).is_(None),
    )


def _build_statement() -> Any:
    done = {
        FirstStepKey.COMPLETE_PROFILE: sa.and_(
            _exists(Member, col(Member.id) == _MEMBER, col(Member.bio) != ""),
            _exists(
                MemberTag,
                col(MemberTag.member_id) == _MEMBER,
                col(MemberTag.kind) == TagKind.DISCIPLINE.value,
            ),
        ),
        FirstStepKey.JOIN_EVENT: _exists(
            EventRsvp,
            col(EventRsvp.member_id) == _MEMBER,
            col(EventRsvp.status) == RsvpStatus.GOING.value,
        ),
        FirstStepKey.GIVE_FEEDBACK: _gave_feedback(),
        FirstStepKey.CAST_VOTE: _exists(Vote, col(Vote.member_id) == _MEMBER),
        FirstStepKey.FIRST_SUBMISSION: _exists(Submission, col(Submission.member_id) == _MEMBER),
        FirstStepKey.FIND_MENTOR: _exists(Mentorship, col(Mentorship.mentee_id) == _MEMBER),
    }
    return sa.select(*(condition.label(key.value) for key, condition in done.items()))


# Built once: compiling six subqueries per request would cost more than running them.
_STATEMENT = _build_statement()


def first_steps(session: Session, *, member_id: int) -> FirstSteps:
    """Every step in order, each `done` when the member has done it."""
    row = session.execute(_STATEMENT, {"member_id": member_id}).one()._mapping
    return FirstSteps(
        items=[
            FirstStep(key=key, title=TITLES[key], done=bool(row[key.value])) for key in FirstStepKey
        ]
    )
