"""Winners and showcase flags of a challenge's works, derived from the maintained tallies.

With standard competition ranking a work's rank is 1 + the number of works with more
votes, so `rank <= winners_count` holds exactly for the works with at least as many votes
as the `winners_count`-th best: one indexed read finds that threshold, one UPDATE sets
every work's flags. The rank of each work on a page of results comes from the same tallies
(`ranks`). Nothing here ever scans votes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.db import NO_SYNC
from app.core.tables import UTCDateTime
from app.models import Challenge, Submission


def refresh(session: Session, challenge: Challenge, *, closed: bool, now: datetime) -> None:
    """Final winners once closed; before that nobody has won, only featured works wait
    (hidden) for the closing."""
    if closed:
        apply_winners(session, challenge)
        challenge.ranked_at = challenge.ranked_at or now
    else:
        _apply(session, challenge, winner=sa.false())
        challenge.ranked_at = None
    session.add(challenge)
    session.flush()


def apply_winners(session: Session, challenge: Challenge) -> None:
    """Flags the winners from the tallies (disqualified works never win)."""
    threshold = winning_votes(session, challenge)
    eligible = col(Submission.disqualified).is_(False)
    _apply(session, challenge, winner=sa.and_(eligible, col(Submission.vote_count) >= threshold))


def winning_votes(session: Session, challenge: Challenge) -> int:
    """The votes of the `winners_count`-th best eligible work (0 when there are fewer)."""
    # An OFFSET of at most 99 (winners_count's bound) along the (challenge, votes) index.
    statement = (
        select(Submission.vote_count)
        .where(Submission.challenge_id == challenge.id, col(Submission.disqualified).is_(False))
        .order_by(col(Submission.vote_count).desc())
        .offset(challenge.winners_count - 1)
        .limit(1)
    )
    votes = session.exec(statement).first()
    return votes if votes is not None else 0


def _apply(session: Session, challenge: Challenge, *, winner: sa.ColumnElement[bool]) -> None:
    # Showcased from the closing time on: winners and featured works that stand.
    showcased = sa.and_(
        col(Submission.disqualified).is_(False), sa.or_(winner, col(Submission.featured))
    )
    closes_at = sa.literal(challenge.voting_close_at, UTCDateTime)
    statement = (
        sa.update(Submission)
        .where(col(Submission.challenge_id) == challenge.id)
        .values(is_winner=winner, showcased_at=sa.case((showcased, closes_at), else_=sa.null()))
    )
    session.execute(statement, execution_options=NO_SYNC)


def eligible(challenge: Challenge) -> sa.ColumnElement[bool]:
    """The challenge's works that rank: every one not disqualified."""
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
            eligible(challenge), votes >= top
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
