"""What mentors and mentees hear: a request arrived, it was answered, it ended."""

from __future__ import annotations

from sqlmodel import Session

from app.core.domain_events import (
    MentorshipAccepted,
    MentorshipChanged,
    MentorshipCompleted,
    MentorshipDeclined,
    MentorshipRequested,
    subscribe,
)
from app.models import Mentorship
from app.notifications.service import name_of, notify


@subscribe(MentorshipRequested)
def tell_mentor_of_request(session: Session, event: MentorshipRequested) -> None:
    mentorship = session.get(Mentorship, event.mentorship_id)
    assert mentorship is not None
    notify(
        session,
        member_id=event.mentor_id,
        type="mentorship.requested",
        title=f"{name_of(session, event.mentee_id)} asks you for mentoring",
        body=f"Their goal: {mentorship.goal[:1500]}",
        mentorship_id=event.mentorship_id,
    )


# The notification type each answer is sent as.
_ANSWERS: dict[type[MentorshipChanged], str] = {
    MentorshipAccepted: "mentorship.accepted",
    MentorshipDeclined: "mentorship.declined",
    MentorshipCompleted: "mentorship.completed",
}


@subscribe(*_ANSWERS)
def tell_mentee_of_answer(session: Session, event: MentorshipChanged) -> None:
    mentorship = session.get(Mentorship, event.mentorship_id)
    assert mentorship is not None
    mentor = name_of(session, event.mentor_id)
    ended = mentorship.answered_at is not None and mentorship.ended_at is not None
    titles = {
        MentorshipAccepted: f"{mentor} accepted your mentorship request",
        MentorshipDeclined: f"{mentor} ended your mentorship"
        if ended
        else f"{mentor} declined your mentorship request",
        MentorshipCompleted: f"Your mentorship with {mentor} is complete",
    }
    notify(
        session,
        member_id=event.mentee_id,
        type=_ANSWERS[type(event)],
        title=titles[type(event)],
        mentorship_id=event.mentorship_id,
    )
