from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, UTCDateTime, created_at_field, one_of, timestamp_field
from app.models.member import Discipline


class License(StrEnum):
    """The licenses a work may carry: all rights reserved, or a Creative Commons 4.0 id."""

    ALL_RIGHTS_RESERVED = "all-rights-reserved"
    CC0 = "CC0-1.0"
    CC_BY = "CC-BY-4.0"
    CC_BY_SA = "CC-BY-SA-4.0"
    CC_BY_NC = "CC-BY-NC-4.0"
    CC_BY_ND = "CC-BY-ND-4.0"
    CC_BY_NC_SA = "CC-BY-NC-SA-4.0"
    CC_BY_NC_ND = "CC-BY-NC-ND-4.0"


class Challenge(SQLModel, table=True):
    """A creative challenge. Its phase is never stored: it follows the clock and the dates.

    `submission_count` and `participant_count` are maintained counters (changed in SQL by
    the write that changes them), so lists never count rows. The `*_announced_at` markers
    record that a phase crossing was announced: a sweep claims each with a conditional
    UPDATE, so `challenge.opened` & co. fire once however many processes sweep.
    `ranked_at` says the winner flags of the submissions reflect the final tallies.
    """

    __tablename__ = "challenges"
    __table_args__ = (
        sa.CheckConstraint(one_of("discipline", Discipline), name="discipline_known"),
        sa.CheckConstraint(
            "submissions_open_at < submissions_close_at AND submissions_close_at < voting_close_at",
            name="dates_in_order",
        ),
        sa.CheckConstraint(
            "max_submissions_per_member >= 1 AND votes_per_member >= 1 AND winners_count >= 1",
            name="limits_positive",
        ),
        sa.CheckConstraint(
            "submission_count >= 0 AND participant_count >= 0", name="counts_not_negative"
        ),
        # The list is ordered newest first by (submissions_open_at, id): keyset pages walk it.
        sa.Index("ix_challenges_submissions_open_at_id", "submissions_open_at", "id"),
        sa.Index("ix_challenges_series_id", "series_id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    series_id: int | None = Field(default=None)
    title: str = Field(max_length=200)
    theme: str = Field(max_length=200)
    description: str = Field(default="", max_length=10_000)
    discipline: str = Field(max_length=16)
    submissions_open_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    submissions_close_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    voting_close_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    max_submissions_per_member: int = Field(default=1)
    votes_per_member: int = Field(default=3)
    winners_count: int = Field(default=3)
    published: bool = Field(default=False)
    submission_count: int = Field(default=0)
    participant_count: int = Field(default=0)
    opened_announced_at: datetime | None = timestamp_field()
    voting_announced_at: datetime | None = timestamp_field()
    closed_announced_at: datetime | None = timestamp_field()
    ranked_at: datetime | None = timestamp_field()
    # How works are judged (app/challenges/judging.py): NULL is by votes alone.
    judging: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    # An uploaded image shown with it (app/media); the upload stays in its owner's library.
    cover_media_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer,
            # media.owner_id refers to members: use_alter breaks the cycle on PostgreSQL.
            sa.ForeignKey("media.id", ondelete="SET NULL", use_alter=True),
            index=True,
        ),
    )
    created_by_id: int | None = Field(
        default=None, foreign_key="members.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class ChallengeParticipant(SQLModel, table=True):
    """How many works a member has in a challenge: the row a submission quota is taken from
    with one conditional UPDATE (`… WHERE submission_count < :max`)."""

    __tablename__ = "challenge_participants"
    __table_args__ = (sa.CheckConstraint("submission_count >= 0", name="count_not_negative"),)

    challenge_id: int = Field(foreign_key="challenges.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(
        foreign_key="members.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    submission_count: int = Field(default=0)


class Submission(SQLModel, table=True):
    """A work entered in a challenge.

    `vote_count` is the tally, kept in the same transaction as each vote, so results never
    count votes. `is_winner` and `showcased_at` are kept by the ranking (at closing and
    after any change that could move the winners): `showcased_at` is the challenge's
    closing time for winners and featured works (NULL otherwise), so the public showcase is
    one index walk of `showcased_at <= now`.
    """

    __tablename__ = "submissions"
    __table_args__ = (
        sa.CheckConstraint("vote_count >= 0", name="vote_count_not_negative"),
        # Results: a challenge's works by tally.
        sa.Index("ix_submissions_challenge_id_vote_count_id", "challenge_id", "vote_count", "id"),
        # Results of a judged challenge: its works by final score.
        sa.Index(
            "ix_submissions_challenge_id_ranking_score_id", "challenge_id", "ranking_score", "id"
        ),
        sa.Index("ix_submissions_challenge_id_member_id", "challenge_id", "member_id"),
        sa.Index("ix_submissions_showcased_at_id", "showcased_at", "id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    content: str = Field(default="", sa_type=sa.Text)
    media_urls: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    license: str = Field(default=License.ALL_RIGHTS_RESERVED, max_length=32)
    anthology_consent: bool = Field(default=False)
    vote_count: int = Field(default=0)
    featured: bool = Field(default=False)
    disqualified: bool = Field(default=False)
    moderation_reason: str | None = Field(default=None, max_length=500)
    is_winner: bool = Field(default=False)
    # Jury sums (app/models/judging.py), moved by each score in the same transaction:
    # Σ over jurors of Σ weight × score, and how many jurors scored the work.
    jury_total: int = Field(default=0)
    juror_count: int = Field(default=0)
    # A judged challenge's final score in millionths, written by the ranking at closing.
    ranking_score: int = Field(default=0, sa_type=sa.BigInteger)
    showcased_at: datetime | None = timestamp_field()
    # When its entry into the showcase was announced (`SubmissionShowcased`): once a work.
    showcase_announced_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    # Set by an organizer acting on a report: out of public and member lists.
    hidden_at: datetime | None = timestamp_field()


class Vote(SQLModel, table=True):
    __tablename__ = "votes"
    __table_args__ = (
        # One vote per member and work: concurrent identical votes meet here.
        sa.UniqueConstraint("member_id", "submission_id"),
        sa.Index("ix_votes_challenge_id_member_id", "challenge_id", "member_id"),
        sa.Index("ix_votes_challenge_id_id", "challenge_id", "id"),
        sa.Index("ix_votes_submission_id", "submission_id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE")
    submission_id: int = Field(foreign_key="submissions.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="members.id", ondelete="CASCADE")
    created_at: datetime = created_at_field()


class VoteBudget(SQLModel, table=True):
    """A member's votes in one challenge. A vote takes one with a conditional UPDATE
    (`used = used + 1 WHERE used < allowance`); the CHECK makes overspending impossible
    whatever the code does. `allowance` is the challenge's `votes_per_member`, kept in step
    when an organizer changes it (never below what the member already used)."""

    __tablename__ = "vote_budgets"
    __table_args__ = (
        sa.CheckConstraint("used >= 0 AND used <= allowance", name="used_within_allowance"),
    )

    challenge_id: int = Field(foreign_key="challenges.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(
        foreign_key="members.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    allowance: int
    used: int = Field(default=0)
