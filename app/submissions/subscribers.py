"""What authors hear when organizers moderate their work."""

from __future__ import annotations

from sqlmodel import Session

from app.core.domain_events import (
    SubmissionDisqualified,
    SubmissionFeatured,
    SubmissionModerated,
    SubmissionReinstated,
    subscribe,
)
from app.models import Challenge, Submission
from app.notifications.service import notify

# Each moderation's notification: type, title and body (unfeaturing is not announced).
MESSAGES: dict[type[SubmissionModerated], tuple[str, str, str]] = {
    SubmissionFeatured: (
        "submission.featured",
        "Your work “{work}” is featured",
        "The organizers featured it in {challenge}; it joins the public showcase once the "
        "challenge closes.",
    ),
    SubmissionDisqualified: (
        "submission.disqualified",
        "Your work “{work}” was disqualified",
        "It is no longer part of {challenge} and will not be ranked.",
    ),
    SubmissionReinstated: (
        "submission.reinstated",
        "Your work “{work}” is back in the challenge",
        "The organizers reinstated it in {challenge}.",
    ),
}


@subscribe(*MESSAGES)
def tell_author(session: Session, event: SubmissionModerated) -> None:
    submission = session.get(Submission, event.submission_id)
    challenge = session.get(Challenge, event.challenge_id)
    assert submission is not None and challenge is not None
    kind, title, body = MESSAGES[type(event)]
    reason = event.reason
    notify(
        session,
        member_id=submission.member_id,
        type=kind,
        title=title.format(work=submission.title),
        body=body.format(challenge=challenge.title) + (f" Note: {reason}" if reason else ""),
        challenge_id=challenge.id,
        submission_id=submission.id,
    )
