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
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.challenges import ranking
from app.challenges.service import phase_of
from app.core import events, periodic
from app.core.clock import utcnow
from app.core.db import rows_affected
from app.models import Challenge


@dataclass(frozen=True)
class Crossing:
    marker: str
    due: str  # the date column whose passing is the crossing
    event_type: str | None  # None: the ranking, which announces nothing itself


# In the order they happen, so one sweep catching up on a long downtime still announces
# a challenge's crossings in order, and ranks it before announcing it closed.
CROSSINGS = (
    Crossing("opened_announced_at", "submissions_open_at", "challenge.opened"),
    Crossing("voting_announced_at", "submissions_close_at", "challenge.voting_started"),
    Crossing("ranked_at", "voting_close_at", None),
    Crossing("closed_announced_at", "voting_close_at", "challenge.closed"),
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
    return rows_affected(session.execute(statement, execution_options=ranking.NO_SYNC)) == 1


def sweep(session: Session, *, now: datetime | None = None) -> list[tuple[str, int]]:
    """Announces (and ranks) every crossing due at `now`; returns the events published.

    Challenges are claimed in id order, so concurrent sweeps wait for each other instead
    of deadlocking. The caller commits.
    """
    now = now or utcnow()
    published: list[tuple[str, int]] = []
    for challenge_id in _due_ids(session, now):
        for crossing in CROSSINGS:
            if not _claim(session, challenge_id, crossing, now):
                continue
            challenge = session.get(Challenge, challenge_id, populate_existing=True)
            assert challenge is not None  # locked by the claim
            if crossing.event_type is None:
                ranking.apply_winners(session, challenge)
                continue
            _announce(session, challenge, crossing.event_type, now=now)
            published.append((crossing.event_type, challenge_id))
    return published


def _announce(session: Session, challenge: Challenge, event_type: str, *, now: datetime) -> None:
    # `phase` tells subscribers whether the crossing is still current: after a long
    # downtime "opened" may be announced for a challenge that is already voting.
    data: dict[str, Any] = {"challenge_id": challenge.id, "phase": phase_of(challenge, now)}
    events.publish(session, event_type, **data)


@periodic.job("challenge_phases", every=lambda settings: settings.challenge_sweep_seconds)
def sweep_job(session: Session) -> None:
    sweep(session)
