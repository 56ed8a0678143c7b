"""The phase sweep: announces each challenge's phase crossings once, and ranks the closed.

Nothing happens at the moment a date passes; the phase simply reads differently from then
on. What must happen once per crossing (the `challenge.opened`, `challenge.voting_started`
and `challenge.closed` domain events, and the final ranking) is done by this sweep, which
every app process runs periodically (`app.core.periodic`). Each crossing is claimed with a
conditional UPDATE of its marker column, `… SET opened_announced_at = :now WHERE id = :id
AND opened_announced_at IS NULL AND submissions_open_at <= :now`, in the transaction that
publishes the event: the row count decides who announces, so two processes sweeping at
once (or a process restarting mid-sweep) never announce twice and never lose one.

Markers are never cleared: if an organizer moves dates back after an announcement, the
phase follows the clock but nothing is announced again. Only the ranking (`ranked_at`) is
redone when a challenge closes again, since votes may have changed meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.challenges import ranking
from app.challenges.service import phase_of
from app.core import periodic
from app.core.clock import utcnow
from app.core.db import NO_SYNC, rows_affected
from app.core.domain_events import (
    ChallengeClosed,
    ChallengeOpened,
    ChallengePhaseReached,
    ChallengeVotingStarted,
    publish,
)
from app.models import Challenge


@dataclass(frozen=True)
class Crossing:
    marker: str
    due: str  # the date column whose passing is the crossing
    announces: type[ChallengePhaseReached] | None  # None: the ranking, which announces nothing


# In the order they happen, so one sweep catching up on a long downtime still announces
# a challenge's crossings in order, and ranks it before announcing it closed.
CROSSINGS = (
    Crossing("opened_announced_at", "submissions_open_at", ChallengeOpened),
    Crossing("voting_announced_at", "submissions_close_at", ChallengeVotingStarted),
    Crossing("ranked_at", "voting_close_at", None),
    Crossing("closed_announced_at", "voting_close_at", ChallengeClosed),
)


def _pending(crossing: Crossing, now: datetime) -> sa.ColumnElement[bool]:
    marker, due = getattr(Challenge, crossing.marker), getattr(Challenge, crossing.due)
    return sa.and_(marker.is_(None), due <= now)


def _due_ids(session: Session, now: datetime) -> list[int]:
    condition = sa.or_(*(_pending(crossing, now) for crossing in CROSSINGS))
    statement = select(Challenge.id).where(col(Challenge.published).is_(True), condition)
    return list(session.exec(statement.order_by(col(Challenge.id))))  # type: ignore[arg-type]


def _claim(session: Session, challenge_id: int, crossing: Crossing, now: datetime) -> bool:
    """True for exactly one claimant, whatever else is sweeping concurrently."""
    statement = (
        sa.update(Challenge)
        .where(
            col(Challenge.id) == challenge_id,
            col(Challenge.published).is_(True),
            _pending(crossing, now),
        )
        .values({crossing.marker: now})
    )
    return rows_affected(session.execute(statement, execution_options=NO_SYNC)) == 1


def sweep(
    session: Session, *, now: datetime | None = None
) -> list[tuple[type[ChallengePhaseReached], int]]:
    """Announces (and ranks) every crossing due at `now`; returns the events published.

    Challenges are claimed in id order, so concurrent sweeps wait for each other instead
    of deadlocking. The caller commits.
    """
    now = now or utcnow()
    published: list[tuple[type[ChallengePhaseReached], int]] = []
    for challenge_id in _due_ids(session, now):
        for crossing in CROSSINGS:
            if not _claim(session, challenge_id, crossing, now):
                continue
            challenge = session.get(Challenge, challenge_id, populate_existing=True)
            assert challenge is not None  # locked by the claim
            if crossing.announces is None:
                ranking.apply_winners(session, challenge)
            else:
                _announce(session, challenge, crossing.announces, now=now)
                published.append((crossing.announces, challenge_id))
            # After the results' announcement (or a ranking redone once they are out), the
            # works that entered the showcase, once each.
            ranking.announce_showcased(session, challenge, now=now)
    return published


def _announce(
    session: Session,
    challenge: Challenge,
    kind: type[ChallengePhaseReached],
    *,
    now: datetime,
) -> None:
    # `phase` tells subscribers whether the crossing is still current: after a long
    # downtime "opened" may be announced for a challenge that is already voting.
    assert challenge.id is not None  # locked by the claim
    publish(session, kind(challenge_id=challenge.id, phase=phase_of(challenge, now)))


@periodic.job("challenge_phases", every=lambda settings: settings.challenge_sweep_seconds)
def sweep_job(session: Session) -> None:
    sweep(session)
