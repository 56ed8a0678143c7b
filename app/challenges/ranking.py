"""Winners and showcase flags of a challenge's works, derived from the maintained tallies.

With standard competition ranking a work's rank is 1 + the number of works with more
votes, so `rank <= winners_count` holds exactly for the works with at least as many votes
as the `winners_count`-th best: one indexed read finds that threshold, one UPDATE sets
every work's flags. The rank of each work on a page of results comes from the same tallies
(`ranks`). Nothing here ever scans votes.

A judged challenge (jury or combined mode, app/challenges/judging.py) ranks by its final
score instead: when it closes (and after any change that could move the winners) one read
of every work's tallies and jury sums gives each score, written to `ranking_score` in one
batched UPDATE; from then on it is read like the votes. `key(challenge)` is the column a
challenge ranks by.

A work enters the public showcase when its challenge's results are announced (winners and
featured works), or later if it starts to qualify then (featured after the closing,
promoted by a disqualification, more winners): `announce_showcased` publishes
`SubmissionShowcased` once per work, claimed by a conditional UPDATE of
`showcase_announced_at`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col

from app.challenges import judging
from app.core.db import NO_SYNC
from app.core.domain_events import SubmissionShowcased, publish
from app.core.tables import UTCDateTime, id_of
from app.models import Challenge, Submission


class Ranked(judging.Judged, Protocol):
    """What the ranking reads of a challenge: an entity, or a read model's row."""

    @property
    def id(self) -> int | None: ...


class Tallied(Protocol):
    """What the ranks of a page read of each work: an entity, or a read model's row."""

    @property
    def vote_count(self) -> int: ...
    @property
    def ranking_score(self) -> int: ...


def key(challenge: Ranked) -> Mapped[int]:
    """The tally a challenge's works are ranked by: votes, or the judged final score."""
    if judging.setup_of(challenge).judged:
        return col(Submission.ranking_score)
    return col(Submission.vote_count)


def refresh(session: Session, challenge: Challenge, *, closed: bool, now: datetime) -> None:
    """Final winners once closed; before that nobody has won, only featured works wait
    (hidden) for the closing."""
    if closed:
        apply_winners(session, challenge)
        challenge.ranked_at = challenge.ranked_at or now
        announce_showcased(session, challenge, now=now)
    else:
        _apply(session, challenge, winner=sa.false())
        challenge.ranked_at = None
    session.add(challenge)
    session.flush()


def apply_winners(session: Session, challenge: Challenge) -> None:
    """Flags the winners from the tallies (disqualified works never win)."""
    if judging.setup_of(challenge).judged:
        score_works(session, challenge)
    threshold = winning_votes(session, challenge)
    eligible = col(Submission.disqualified).is_(False)
    _apply(session, challenge, winner=sa.and_(eligible, key(challenge) >= threshold))


def winning_votes(session: Session, challenge: Challenge) -> int:
    """The tally (votes, or judged score) of the `winners_count`-th best eligible work (0
    when there are fewer)."""
    # An OFFSET of at most 99 (winners_count's bound) along the (challenge, tally) index.
    statement = (
        sa.select(key(challenge))
        .where(
            col(Submission.challenge_id) == challenge.id, col(Submission.disqualified).is_(False)
        )
        .order_by(key(challenge).desc())
        .offset(challenge.winners_count - 1)
        .limit(1)
    )
    votes = session.execute(statement).scalar()
    return votes if votes is not None else 0


_SCORE_INPUTS = sa.select(
    col(Submission.id),
    col(Submission.vote_count),
    col(Submission.jury_total),
    col(Submission.juror_count),
    col(Submission.disqualified),
)


def score_works(session: Session, challenge: Challenge) -> None:
    """Writes every work's final score (`ranking_score`, in millionths): one read of the
    maintained sums, one batched UPDATE. Disqualified works score 0 and set no vote share."""
    setup = judging.setup_of(challenge)
    rows = session.execute(_SCORE_INPUTS.where(col(Submission.challenge_id) == challenge.id))
    works = list(rows)
    top = max((votes for _, votes, _, _, out in works if not out), default=0)
    values = [
        {
            "work_id": work_id,
            "score": 0
            if out
            else judging.in_millionths(
                judging.score(
                    setup,
                    jury=judging.jury_score(setup, jury_total=total, juror_count=count),
                    share=judging.vote_share(votes, top),
                )
            ),
        }
        for work_id, votes, total, count, out in works
    ]
    if values:
        statement = (
            sa.update(Submission)
            .where(col(Submission.id) == sa.bindparam("work_id"))
            .values(ranking_score=sa.bindparam("score"))
        )
        session.connection().execute(statement, values)


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


def announce_showcased(session: Session, challenge: Challenge, *, now: datetime) -> None:
    """Publishes `SubmissionShowcased` for each work of the challenge now in the showcase
    and not yet announced, winners first. Nothing before the results are announced (the
    sweep calls again when it announces them). The UPDATE claims each work: two processes
    ranking the challenge at once never announce a work twice."""
    if challenge.closed_announced_at is None:
        return
    claim = (
        sa.update(Submission)
        .where(
            col(Submission.challenge_id) == challenge.id,
            col(Submission.showcased_at).is_not(None),
            col(Submission.showcased_at) <= now,
            col(Submission.hidden_at).is_(None),
            col(Submission.showcase_announced_at).is_(None),
        )
        .values(showcase_announced_at=now)
        .returning(col(Submission.id), col(Submission.is_winner))
    )
    entered = session.execute(claim, execution_options=NO_SYNC).all()
    for work_id, _winner in sorted(entered, key=lambda row: (not row[1], row[0])):
        publish(session, SubmissionShowcased(challenge_id=id_of(challenge), submission_id=work_id))


def eligible(challenge: Ranked) -> sa.ColumnElement[bool]:
    """The challenge's works that rank: every one not disqualified."""
    return sa.and_(
        col(Submission.challenge_id) == challenge.id, col(Submission.disqualified).is_(False)
    )


def ranks(session: Session | Connection, challenge: Ranked, page: Sequence[Tallied]) -> list[int]:
    """The rank of each work on a page of the list ordered by `key` (votes or score)."""
    if not page:
        return []
    judged = judging.setup_of(challenge).judged
    tallies = [work.ranking_score if judged else work.vote_count for work in page]
    top = tallies[0]
    votes = key(challenge)
    # Only the works at or above the page's first: both counts are among them, and the
    # (challenge, vote_count) index reads just those, not every work of the challenge.
    above, at_least = session.execute(
        sa.select(sa.func.count().filter(votes > top), sa.func.count()).where(
            eligible(challenge), votes >= top
        )
    ).one()
    return competition_ranks(tallies, above=above, at_least=at_least)


def competition_ranks(values: Sequence[int], *, above: int, at_least: int) -> list[int]:
    """Standard competition ranks (1, 2, 2, 4) of a page of a list sorted by `values`,
    highest first, from two counts over the whole list: `above`, the rows with more than
    the page's first value, and `at_least`, those with at least it. The rest follow from
    the page itself, so ranks stay right across pages at the cost of one query."""
    top = values[0]
    result: list[int] = []
    below_top = 0  # rows on this page so far with less than the first
    for index, value in enumerate(values):
        if value == top:
            result.append(above + 1)
        elif value == values[index - 1]:
            result.append(result[-1])
        else:
            # Every row with more: all with at least `top`, and those of this page between
            # `top` and this row's value (the page is sorted, so all seen already).
            result.append(at_least + below_top + 1)
        if value < top:
            below_top += 1
    return result
