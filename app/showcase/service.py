"""The public showcase: winners and featured works of closed challenges, newest first.

Works carry `showcased_at` (their challenge's closing time, set by the ranking when they
win or are featured and cleared when they stop qualifying), so the showcase is one walk of
the (showcased_at, id) index down from now, whatever the number of works and votes. Works
of challenges still running have a future `showcased_at` and stay out of it: nothing here
can sway a running vote.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.core.pagination import PageParams, desc, paginate
from app.models import Challenge, Discipline, Submission
from app.showcase.schemas import ShowcaseChallenge, ShowcaseItem
from app.submissions import service as submissions


def list_showcase(
    session: Session, *, discipline: Discipline | None, params: PageParams
) -> tuple[list[Submission], str | None]:
    statement = select(Submission).where(
        col(Submission.showcased_at).is_not(None),
        col(Submission.showcased_at) <= utcnow(),
        col(Submission.hidden_at).is_(None),  # hidden by an organizer after a report
    )
    if discipline is not None:
        statement = statement.join(
            Challenge, col(Challenge.id) == col(Submission.challenge_id)
        ).where(Challenge.discipline == discipline)
    keys = [desc(Submission.showcased_at), desc(Submission.id)]
    return paginate(session, statement, keys=keys, params=params)


def present(session: Session, works: Sequence[Submission]) -> list[ShowcaseItem]:
    """Items with their challenges and authors: two queries for any page size."""
    ids = {work.challenge_id for work in works}
    found = list(session.exec(select(Challenge).where(col(Challenge.id).in_(ids)))) if ids else []
    by_id = {challenge.id: challenge for challenge in found}
    publics = submissions.present_many(session, works, of=found, viewer=None)
    return [
        ShowcaseItem(
            submission=public,
            challenge=_challenge(by_id[work.challenge_id]),
            winner=work.is_winner,
            featured=work.featured,
        )
        for work, public in zip(works, publics, strict=True)
    ]


def _challenge(challenge: Challenge) -> ShowcaseChallenge:
    return ShowcaseChallenge(
        id=challenge.id,  # type: ignore[arg-type]
        title=challenge.title,
        theme=challenge.theme,
        discipline=Discipline(challenge.discipline),
        closed_at=challenge.voting_close_at,
    )
