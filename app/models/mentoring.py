from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, created_at_field, timestamp_field, where


class MentorshipStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"


# A request still waiting or a mentorship under way: at most one per mentor and mentee.
OPEN_MENTORSHIP = "status IN ('pending', 'accepted')"


class MentorProfile(SQLModel, table=True):
    """A member's offer to mentor.

    `active_count` is the number of accepted mentorships, kept on the row: a spot is taken
    only by `UPDATE … SET active_count = active_count + 1 WHERE active_count < capacity`,
    and the CHECK makes more mentees than `capacity` impossible whatever the code does.
    The row outlives "closing" the profile (`is_listed` false) so that the count of the
    mentorships still under way is never lost.
    """

    __tablename__ = "mentor_profiles"
    __table_args__ = (
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint(
            "active_count >= 0 AND active_count <= capacity", name="active_within_capacity"
        ),
    )

    member_id: int = Field(foreign_key="members.id", primary_key=True, ondelete="CASCADE")
    is_listed: bool = Field(default=True)
    is_open: bool = Field(default=True)
    capacity: int
    active_count: int = Field(default=0)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class MentorTopic(SQLModel, table=True):
    """A topic a mentor offers, one row each, so the topic filter can use an index."""

    __tablename__ = "mentor_topics"
    __table_args__ = (sa.Index("ix_mentor_topics_value_key_member_id", "value_key", "member_id"),)

    member_id: int = Field(
        foreign_key="mentor_profiles.member_id", primary_key=True, ondelete="CASCADE"
    )
    value_key: str = Field(max_length=50, primary_key=True)
    value: str = Field(max_length=50)
    position: int = Field(default=0)


class Mentorship(SQLModel, table=True):
    __tablename__ = "mentorships"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'completed')", name="status_known"
        ),
        sa.CheckConstraint("mentor_id <> mentee_id", name="not_self"),
        # A duplicate open request meets this index, however many arrive at once.
        sa.Index(
            "uq_mentorships_open_pair",
            "mentor_id",
            "mentee_id",
            unique=True,
            **where(OPEN_MENTORSHIP),
        ),
        # "My mentorships" walks one of these newest first.
        sa.Index("ix_mentorships_mentor_id_id", "mentor_id", "id"),
        sa.Index("ix_mentorships_mentee_id_id", "mentee_id", "id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    mentor_id: int = Field(foreign_key="members.id", ondelete="CASCADE")
    mentee_id: int = Field(foreign_key="members.id", ondelete="CASCADE")
    goal: str = Field(max_length=2000)
    status: str = Field(max_length=16)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    # When the mentor accepted or declined the request, and when it ended.
    answered_at: datetime | None = timestamp_field()
    ended_at: datetime | None = timestamp_field()
