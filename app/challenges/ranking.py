"""Winners and showcase flags of a challenge's works, derived from the maintained tallies.

With standard competition ranking a work's rank is 1 + the number of works with more
votes, so `rank <= winners_count` holds exactly for the works with at least as many votes
as the `winners_count`-th best: one indexed read finds that threshold, one UPDATE sets
every work's flags. Nothing here ever scans votes.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.tables import UTCDateTime
from app.models import Challenge, Submission

NO_SYNC = {"synchronize_session": False}


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
