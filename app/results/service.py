"""Results of a closed challenge, read from the maintained tallies, a page at a time.

Works are ordered by votes (most first), ties by earlier submission (lower id). Ranks are
standard competition ranking: a work's rank is 1 + the number of eligible works with more
votes. One COUNT on the (challenge, votes) index gives the rank of the page's first work;
the rest follow from the page itself. So a page costs the same at 1k or 1M votes.
"""

from __future__ import annotations

from sqlmodel import Session, select

from app.challenges import ranking
from app.challenges import service as challenges
from app.core.clock import utcnow
from app.core.pagination import PageParams, asc, desc, paginate
from app.models import Challenge, Member, Submission
from app.results.schemas import ResultItem
from app.submissions import service as submissions


def results_page(
    session: Session, *, challenge: Challenge, params: PageParams, viewer: Member | None
) -> tuple[list[ResultItem], str | None]:
    challenges.require_closed(challenge, utcnow())
    statement = select(Submission).where(ranking.eligible(challenge))
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
        for rank, work, public in zip(
            ranking.ranks(session, challenge, page), page, works, strict=True
        )
    ]
    return items, next_cursor
