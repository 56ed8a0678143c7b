"""Jury scores of works and the per-work sums the results read.

A juror's scores of one work are one row of `jury_scores` (unique per juror and work): a
re-score replaces the row with one `INSERT … ON CONFLICT DO UPDATE`, which also copies the
replaced total and scores into `previous_*`, so the statement itself returns what it
replaced. The work's sums (`submissions.jury_total`, `submissions.juror_count` and one
`submission_criterion_scores` row per criterion) move by the difference in the same
transaction: results never add up scores.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, created_at_field


class JuryScore(SQLModel, table=True):
    """One juror's scores of one work: `{criterion key: 1–10}`, their weighted sum
    (`total` = Σ weight × score) and an optional note for the author (shown after closing)."""

    __tablename__ = "jury_scores"
    __table_args__ = (
        # A re-score meets this constraint and replaces the row.
        sa.UniqueConstraint("juror_id", "submission_id"),
        sa.CheckConstraint("total >= 0", name="total_not_negative"),
        # The organizer's progress view: a challenge's scores in order.
        sa.Index("ix_jury_scores_challenge_id_id", "challenge_id", "id"),
        # The author's view of the notes on a work.
        sa.Index("ix_jury_scores_submission_id_id", "submission_id", "id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE")
    submission_id: int = Field(foreign_key="submissions.id", ondelete="CASCADE")
    juror_id: int = Field(foreign_key="members.id", ondelete="CASCADE")
    scores: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    total: int = Field(default=0)
    note: str = Field(default="", max_length=2000)
    # What the last re-score replaced (NULL after the first score): read by its RETURNING.
    previous_scores: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    previous_total: int | None = Field(default=None)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class SubmissionCriterionScore(SQLModel, table=True):
    """The sum of every juror's score of one work on one criterion (the breakdown's
    numerator; the work's `juror_count` is the denominator, as every criterion is required)."""

    __tablename__ = "submission_criterion_scores"
    __table_args__ = (sa.CheckConstraint("score_sum >= 0", name="score_sum_not_negative"),)

    submission_id: int = Field(foreign_key="submissions.id", primary_key=True, ondelete="CASCADE")
    criterion_key: str = Field(max_length=32, primary_key=True)
    score_sum: int = Field(default=0)
