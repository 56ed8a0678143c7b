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
from app.i18n import N_, message
from app.models import Challenge, Submission
from app.notifications.service import notify

# Each moderation's notification: type, title and body (unfeaturing is not announced).
MESSAGES: dict[type[SubmissionModerated], tuple[str, str, str]] = {
    SubmissionFeatured: (
        "submission.featured",
        N_("Your work “{work}” is featured"),
        N_(
            "The organizers featured it in {challenge}; it joins the public showcase once the "
            "challenge closes."
        ),
    ),
    SubmissionDisqualified: (
        "submission.disqualified",
        N_("Your work “{work}” was disqualified"),
        N_("It is no longer part of {challenge} and will not be ranked."),
    ),
    SubmissionReinstated: (
        "submission.reinstated",
        N_("Your work “{work}” is back in the challenge"),
        N_("The organizers reinstated it in {challenge}."),
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
        title=title,
        body=N_("{moderation} Note: {reason}") if reason else "{moderation}",
        values={
            "work": submission.title,
            "moderation": message(body, challenge=challenge.title),
            "reason": reason,
        },
        challenge_id=challenge.id,
        submission_id=submission.id,
    )
