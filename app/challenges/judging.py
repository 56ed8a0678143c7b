"""A challenge's judging setup (jury, rubric, weight) and the arithmetic of its scores.

The setup lives on the challenge (`challenges.judging`, NULL meaning by votes alone) and is
read here; the jurors' scores are the judging feature's (app/judging). Jurors judge blind:
while a challenge is not closed, a juror sees its works without their authors.

A work's score, exactly (fractions, no floating point until it is shown):
- jury_score = jury_total / (juror_count × Σ weights): the weighted mean of the criteria,
  averaged over the jurors who scored the work (0 when nobody did);
- vote_share = votes / the most votes of an eligible work (0 when nobody voted);
- score = jury_weight × jury_score / 10 + (1 − jury_weight) × vote_share.
The ranking stores it in millionths (rounded half up) as `ranking_score`; works whose
scores round to the same millionth tie.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

from app.challenges.schemas import (
    VOTES_ONLY,
    ChallengePhase,
    CriterionPublic,
    Judging,
    JudgingMode,
    JudgingPublic,
)
from app.models import Member

SCALE = 1_000_000  # ranking_score is the score in millionths


@dataclass(frozen=True)
class Setup:
    mode: JudgingMode
    jury_weight: Fraction
    criteria: tuple[CriterionPublic, ...]
    juror_ids: frozenset[int]

    @property
    def judged(self) -> bool:
        """Whether jurors score the works (jury or combined mode)."""
        return self.mode != JudgingMode.VOTES

    @property
    def weight_sum(self) -> int:
        return sum(criterion.weight for criterion in self.criteria)

    def total(self, scores: dict[str, int]) -> int:
        """One juror's weighted sum of their scores (Σ weight × score)."""
        return sum(criterion.weight * scores[criterion.key] for criterion in self.criteria)


_BY_VOTES = JudgingPublic.model_validate(VOTES_ONLY)


class Judged(Protocol):
    """A challenge's stored setup: an entity, or a read model's row with the column."""

    @property
    def judging(self) -> dict[str, Any] | None: ...


def public(challenge: Judged) -> JudgingPublic:
    """The setup as stored (most challenges have none: by votes, nothing to read)."""
    if challenge.judging is None:
        return _BY_VOTES.model_copy(deep=True)
    return JudgingPublic.model_validate(challenge.judging)


def setup_of(challenge: Judged) -> Setup:
    if challenge.judging is None:
        return _VOTES_SETUP
    judging = public(challenge)
    return Setup(
        mode=judging.mode,
        jury_weight=Fraction(str(judging.jury_weight)),
        criteria=tuple(judging.criteria),
        juror_ids=frozenset(judging.juror_ids),
    )


_VOTES_SETUP = Setup(
    mode=JudgingMode.VOTES, jury_weight=Fraction(0), criteria=(), juror_ids=frozenset()
)


def stored(judging: Judging) -> dict[str, object]:
    """The setup as the challenge's JSON column keeps it."""
    return judging.model_dump(mode="json")


def is_juror(challenge: Judged, member: Member | None) -> bool:
    return member is not None and member.id in setup_of(challenge).juror_ids


def judges_blind(challenge: Judged, viewer: Member | None, phase: ChallengePhase) -> bool:
    """Whether `viewer` is a juror of the challenge who must not see its authors now."""
    return phase != ChallengePhase.CLOSED and is_juror(challenge, viewer)


def locked(phase: ChallengePhase) -> bool:
    """The setup is fixed from the start of voting on."""
    return phase in (ChallengePhase.VOTING, ChallengePhase.CLOSED)


# --- the arithmetic --------------------------------------------------------------------------


def jury_score(setup: Setup, *, jury_total: int, juror_count: int) -> Fraction | None:
    """0–10 (1–10 in practice); None when no juror scored the work."""
    if juror_count == 0 or not setup.criteria:
        return None
    return Fraction(jury_total, juror_count * setup.weight_sum)


def vote_share(votes: int, top_votes: int) -> Fraction:
    return Fraction(votes, top_votes) if top_votes > 0 else Fraction(0)


def score(setup: Setup, *, jury: Fraction | None, share: Fraction) -> Fraction:
    return setup.jury_weight * (jury or 0) / 10 + (1 - setup.jury_weight) * share


def in_millionths(value: Fraction) -> int:
    """Rounded half up: exact, the same on every database."""
    return int(value * SCALE + Fraction(1, 2))


def shown(value: Fraction | None) -> float | None:
    """A fraction as the API shows it (6 decimals)."""
    return None if value is None else round(float(value), 6)
