"""What mentors and mentees hear: a request arrived, it was answered, it ended."""

from __future__ import annotations

from sqlmodel import Session

from app.core.events import DomainEvent, subscribe
from app.models import Member, Mentorship
from app.notifications.service import notify


def _name(session: Session, member_id: int) -> str:
    member = session.get(Member, member_id)
    assert member is not None
    return f"{member.display_name} (@{member.handle})"


@subscribe("mentorship.requested")
def tell_mentor_of_request(session: Session, event: DomainEvent) -> None:
    mentorship = session.get(Mentorship, event.data["mentorship_id"])
    assert mentorship is not None
    notify(
        session,
        member_id=event.data["mentor_id"],
        type="mentorship.requested",
        title=f"{_name(session, event.data['mentee_id'])} asks you for mentoring",
        body=f"Their goal: {mentorship.goal[:1500]}",
        mentorship_id=event.data["mentorship_id"],
    )


@subscribe("mentorship.accepted", "mentorship.declined", "mentorship.completed")
def tell_mentee_of_answer(session: Session, event: DomainEvent) -> None:
    mentorship = session.get(Mentorship, event.data["mentorship_id"])
    assert mentorship is not None
    mentor = _name(session, event.data["mentor_id"])
    ended = mentorship.answered_at is not None and mentorship.ended_at is not None
    titles = {
        "mentorship.accepted": f"{mentor} accepted your mentorship request",
        "mentorship.declined": f"{mentor} ended your mentorship"
        if ended
        else f"{mentor} declined your mentorship request",
        "mentorship.completed": f"Your mentorship with {mentor} is complete",
    }
    notify(
        session,
        member_id=event.data["mentee_id"],
        type=event.type,
        title=titles[event.type],
        mentorship_id=event.data["mentorship_id"],
    )
