"""Recognition: the activity log of contributions, its maintained point totals, badges."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, UTCDateTime, created_at_field, one_of


class ContributionKind(StrEnum):
    SUBMISSION = "submission"
    VOTE = "vote"
    COMMENT = "comment"
    POST = "post"
    THREAD = "thread"
    IDEA = "idea"
    EVENT_ATTENDED = "event_attended"
    TASK_DONE = "task_done"
    PROJECT_UPDATE = "project_update"
    MENTORSHIP_COMPLETED = "mentorship_completed"
    CHALLENGE_WIN = "challenge_win"


class PeriodKind(StrEnum):
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


class BadgeKind(StrEnum):
    AUTOMATIC = "automatic"
    AWARD = "award"


class Activity(SQLModel, table=True):
    """One contribution of one member, recorded once whatever retries the event.

    `(kind, source_id, member_id)` is unique: the subscriber inserts with ON CONFLICT DO
    NOTHING and moves the maintained totals only when a row was inserted. `week_start`
    (the Monday of `occurred_at`, UTC) lets analytics group by ISO week in plain SQL on
    either database.
    """

    __tablename__ = "activities"
    __table_args__ = (
        sa.UniqueConstraint("kind", "source_id", "member_id"),
        sa.CheckConstraint(one_of("kind", ContributionKind), name="kind_known"),
        # Both covering (kind and week_start included): analytics read a window of
        # activities, per member or as a whole, from an index alone.
        sa.Index(
            "ix_activities_member_id_occurred_at_kind_week_start",
            "member_id",
            "occurred_at",
            "kind",
            "week_start",
        ),
        sa.Index("ix_activities_member_id_kind", "member_id", "kind"),
        sa.Index(
            "ix_activities_occurred_at_member_id_kind_week_start",
            "occurred_at",
            "member_id",
            "kind",
            "week_start",
        ),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="members.id", ondelete="CASCADE")
    kind: str = Field(max_length=24)
    source_id: int
    points: int
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    week_start: date


class MemberPoints(SQLModel, table=True):
    """A member's points in one period (a week, a month, or all time), moved atomically
    with each recorded activity: a leaderboard is one index walk of a period's rows."""

    __tablename__ = "member_points"
    __table_args__ = (
        sa.CheckConstraint(one_of("period_kind", PeriodKind), name="period_kind_known"),
        sa.Index(
            "ix_member_points_period_kind_period_start_points_member_id",
            "period_kind",
            "period_start",
            "points",
            "member_id",
        ),
    )

    period_kind: str = Field(max_length=8, primary_key=True)
    period_start: date = Field(primary_key=True)
    member_id: int = Field(
        foreign_key="members.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    points: int = Field(default=0)


class ContributionCount(SQLModel, table=True):
    """How many contributions of a kind a member has: their activities of that kind, counted
    as they are recorded and taken back (app.recognition.service), so that a badge earned
    by a count (ten comments, five events) costs no statement until the count reaches it.

    On PostgreSQL the statements that write activities move it (recording: an upsert whose
    RETURNING is the count after the row's lock, exact under concurrent requests); on
    SQLite triggers on `activities` do (migration 0030), so a contribution costs no
    statement more there. It never goes below zero (the CHECK).
    """

    __tablename__ = "contribution_counts"
    __table_args__ = (sa.CheckConstraint("count >= 0", name="count_not_negative"),)

    member_id: int = Field(foreign_key="members.id", primary_key=True, ondelete="CASCADE")
    kind: str = Field(max_length=24, primary_key=True)
    count: int


class Badge(SQLModel, table=True):
    """A badge earned automatically (`code` set, unique per member) or an organizer's
    award (`code` NULL: NULLs never collide, so a member may receive many awards)."""

    __tablename__ = "badges"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "code"),
        sa.CheckConstraint(one_of("kind", BadgeKind), name="kind_known"),
        sa.CheckConstraint("(kind = 'award') = (code IS NULL)", name="code_for_automatic"),
        sa.Index("ix_badges_member_id_id", "member_id", "id"),
        sa.Index("ix_badges_code", "code"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="members.id", ondelete="CASCADE")
    kind: str = Field(max_length=16)
    code: str | None = Field(default=None, max_length=32)
    title: str = Field(max_length=200)
    reason: str = Field(max_length=2000)
    awarded_at: datetime = created_at_field()
    awarded_by_id: int | None = Field(
        default=None, foreign_key="members.id", index=True, ondelete="SET NULL"
    )
