"""What authors hear when organizers moderate their work."""

from __future__ import annotations

from sqlmodel import Session

from app.core.events import DomainEvent, subscribe
from app.models import Challenge, Submission
from app.notifications.service import notify

MESSAGES = {
    "submission.featured": (
        "Your work “{work}” is featured",
        "The organizers featured it in {challenge}; it joins the public showcase once the "
        "challenge closes.",
    ),
    "submission.disqualified": (
        "Your work “{work}” was disqualified",
        "It is no longer part of {challenge} and will not be ranked.",
    ),
    "submission.reinstated": (
        "Your work “{work}” is back in the challenge",
        "The organizers reinstated it in {challenge}.",
    ),
}


def clip(text: str, limit: int) -> str:
    """Fits a title made from user input into its column (titles are up to 200 chars)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@subscribe(*MESSAGES)
def tell_author(session: Session, event: DomainEvent) -> None:
    submission = session.get(Submission, event.data["submission_id"])
    challenge = session.get(Challenge, event.data["challenge_id"])
    assert submission is not None and challenge is not None
    title, body = MESSAGES[event.type]
    reason = event.data.get("reason")
    notify(
        session,
        member_id=submission.member_id,
        type=event.type,
        title=clip(title.format(work=submission.title), 200),
        body=body.format(challenge=challenge.title) + (f" Note: {reason}" if reason else ""),
        challenge_id=challenge.id,
        submission_id=submission.id,
    )
