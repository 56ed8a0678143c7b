"""Results of a closed challenge, read from the maintained tallies, a page at a time.

Works are ordered by votes (most first), ties by earlier submission (lower id). Ranks are
standard competition ranking: a work's rank is 1 + the number of eligible works with more
votes. One COUNT on the (challenge, votes) index gives the rank of the page's first work;
the rest follow from the page itself. So a page costs the same at 1k or 1M votes.

A judged challenge (jury or combined mode) ranks the same way by its final score, which
the ranking wrote at closing from the maintained sums (app.challenges.ranking); each item
adds the score's parts, read for the page alone: the top vote count (one indexed read) and
the page's per-criterion sums (one query). Nothing aggregates votes or scores here.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import TypedDict

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.challenges import judging, ranking
from app.challenges import service as challenges
from app.challenges.schemas import JudgingMode
from app.core.clock import utcnow
from app.core.pagination import PageParams, asc, desc, paginate
from app.judging import service as scores
from app.models import Challenge, Member, Submission
from app.results.schemas import CriterionResult, ResultItem
from app.submissions import service as submissions


def results_page(
    session: Session, *, challenge: Challenge, params: PageParams, viewer: Member | None
) -> tuple[list[ResultItem], str | None]:
    now = utcnow()
    challenges.require_closed(challenge, now)
    setup = judging.setup_of(challenge)
    challenge = challenges.ensure_ranked(session, challenge, viewer=viewer)
    statement = select(Submission).where(ranking.eligible(challenge))
    statement = statement.execution_options(populate_existing=True)
    keys = [desc(ranking.key(challenge)), asc(Submission.id)]
    page, next_cursor = paginate(session, statement, keys=keys, params=params)
    works = submissions.present_many(session, page, of=[challenge], viewer=viewer)
    parts = _parts(session, challenge, setup, page) if setup.judged else None
    items = [
        ResultItem(
            rank=rank,
            votes=work.vote_count,
            winner=rank <= challenge.winners_count,
            submission=public,
            **(parts[work.id] if parts is not None else _VOTES_ONLY),
        )
        for rank, work, public in zip(
            ranking.ranks(session, challenge, page), page, works, strict=True
        )
    ]
    return items, next_cursor


class JuryParts(TypedDict):
    score: float | None
    jury_score: float | None
    vote_share: float | None
    breakdown: list[CriterionResult] | None
    audience_award: bool


_VOTES_ONLY: JuryParts = {
    "score": None,
    "jury_score": None,
    "vote_share": None,
    "breakdown": None,
    "audience_award": False,
}


def _top_votes(session: Session, challenge: Challenge) -> int:
    statement = sa.select(sa.func.max(col(Submission.vote_count))).where(
        ranking.eligible(challenge)
    )
    return session.execute(statement).scalar() or 0


def _parts(
    session: Session, challenge: Challenge, setup: judging.Setup, page: Sequence[Submission]
) -> dict[int, JuryParts]:
    top = _top_votes(session, challenge)
    sums = scores.breakdowns(session, page)
    combined = setup.mode == JudgingMode.COMBINED
    found: dict[int, JuryParts] = {}
    for work in page:
        assert work.id is not None  # read from the database
        count = work.juror_count
        found[work.id] = {
            "score": work.ranking_score / judging.SCALE,
            "jury_score": judging.shown(
                judging.jury_score(setup, jury_total=work.jury_total, juror_count=count)
            ),
            "vote_share": judging.shown(judging.vote_share(work.vote_count, top)),
            "breakdown": [
                CriterionResult(
                    key=criterion.key,
                    title=criterion.title,
                    weight=criterion.weight,
                    score=judging.shown(Fraction(sums[work.id].get(criterion.key, 0), count))
                    if count
                    else None,
                )
                for criterion in setup.criteria
            ],
            "audience_award": combined and top > 0 and work.vote_count == top,
        }
    return found
