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
from app.i18n import N_
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
        title=N_("{mentee} asks you for mentoring"),
        body=N_("Their goal: {goal}"),
        values={"mentee": name_of(session, event.mentee_id), "goal": mentorship.goal[:1500]},
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
        MentorshipAccepted: N_("{mentor} accepted your mentorship request"),
        MentorshipDeclined: N_("{mentor} ended your mentorship")
        if ended
        else N_("{mentor} declined your mentorship request"),
        MentorshipCompleted: N_("Your mentorship with {mentor} is complete"),
    }
    notify(
        session,
        member_id=event.mentee_id,
        type=_ANSWERS[type(event)],
        title=titles[type(event)],
        values={"mentor": mentor},
        mentorship_id=event.mentorship_id,
    )
