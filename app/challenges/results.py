"""Results of a closed challenge, read from the maintained tallies, a page at a time.

Works are ordered by votes (most first), ties by earlier submission (lower id). Ranks are
standard competition ranking: a work's rank is 1 + the number of eligible works with more
votes. One COUNT on the (challenge, votes) index gives the rank of the page's first work;
the rest follow from the page itself. So a page costs the same at 1k or 1M votes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.challenges import service as challenges
from app.challenges.schemas import ResultItem
from app.core.clock import utcnow
from app.core.pagination import PageParams, asc, desc, paginate
from app.models import Challenge, Member, Submission
from app.submissions import service as submissions


def _eligible(challenge: Challenge) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(Submission.challenge_id) == challenge.id, col(Submission.disqualified).is_(False)
    )


def ranks(session: Session, challenge: Challenge, page: Sequence[Submission]) -> list[int]:
    """The rank of each work on a page of the vote-ordered list."""
    if not page:
        return []
    top = page[0].vote_count
    votes = col(Submission.vote_count)
    # Only the works at or above the page's first: both counts are among them, and the
    # (challenge, vote_count) index reads just those, not every work of the challenge.
    above, at_least = session.execute(
        sa.select(sa.func.count().filter(votes > top), sa.func.count()).where(
            _eligible(challenge), votes >= top
        )
    ).one()
    result: list[int] = []
    below_top = 0  # works on this page so far with fewer votes than the first
    for index, work in enumerate(page):
        if work.vote_count == top:
            result.append(above + 1)
        elif work.vote_count == page[index - 1].vote_count:
            result.append(result[-1])
        else:
            # Every work with more votes: all with at least `top`, and those of this page
            # between `top` and this work's votes (the list is sorted, so all seen already).
            result.append(at_least + below_top + 1)
        if work.vote_count < top:
            below_top += 1
    return result


def results_page(
    session: Session, *, challenge: Challenge, params: PageParams, viewer: Member | None
) -> tuple[list[ResultItem], str | None]:
    challenges.require_closed(challenge, utcnow())
    statement = select(Submission).where(_eligible(challenge))
    keys = [desc(Submission.vote_count), asc(Submission.id)]
    page, next_cursor = paginate(session, statement, keys=keys, params=params)
    works = submissions.present_many(session, page, of=[challenge], viewer=viewer)
    items = [
        ResultItem(
            rank=rank,
            votes=work.vote_count,
            winner=rank <= challenge.winners_count,
            submission=public,
        )
        for rank, work, public in zip(ranks(session, challenge, page), page, works, strict=True)
    ]
    return items, next_cursor
