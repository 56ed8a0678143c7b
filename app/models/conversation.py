"""Conversation: discussion threads and their posts, comments on works, the idea box,
announcements, and reports of content grouped into moderation cases.

Counters (`post_count`, `upvote_count`, `report_count`) are changed in SQL by the write
that changes them (`SET n = n + 1`), so lists never count rows. `hidden_at` is set by an
organizer acting on a report: hidden rows leave member lists but stay visible to organizers.
Posts and comments are deleted softly (`deleted_at`): they keep their place in the
conversation as a placeholder without body or author.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, UTCDateTime, created_at_field, one_of, timestamp_field


class IdeaStatus(StrEnum):
    NEW = "new"
    UNDER_REVIEW = "under_review"
    PLANNED = "planned"
    DONE = "done"
    DECLINED = "declined"


class ReportTarget(StrEnum):
    SUBMISSION = "submission"
    COMMENT = "comment"
    THREAD = "thread"
    POST = "post"
    IDEA = "idea"
    MEMBER = "member"


class CaseStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


def _author_field() -> Any:
    return Field(default=None, foreign_key="members.id", index=True, ondelete="SET NULL")


class Thread(SQLModel, table=True):
    """A discussion. `last_post_at` starts at creation and moves with every reply, so the
    list (pinned first, then latest activity) is one walk of its index."""

    __tablename__ = "threads"
    __table_args__ = (
        sa.CheckConstraint("post_count >= 0", name="post_count_not_negative"),
        sa.Index("ix_threads_pinned_last_post_at_id", "pinned", "last_post_at", "id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    author_id: int | None = _author_field()
    title: str = Field(max_length=200)
    body: str = Field(max_length=10_000)
    category: str | None = Field(default=None, max_length=50)
    pinned: bool = Field(default=False)
    locked: bool = Field(default=False)
    post_count: int = Field(default=0)
    last_post_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    hidden_at: datetime | None = timestamp_field()


class Post(SQLModel, table=True):
    """A reply in a thread, in thread order by id."""

    __tablename__ = "posts"
    __table_args__ = (sa.Index("ix_posts_thread_id_id", "thread_id", "id"), AUTOINCREMENT)

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="threads.id", ondelete="CASCADE")
    author_id: int | None = _author_field()
    body: str = Field(max_length=10_000)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    deleted_at: datetime | None = timestamp_field()
    hidden_at: datetime | None = timestamp_field()


class Comment(SQLModel, table=True):
    """Feedback on a work (a challenge submission)."""

    __tablename__ = "comments"
    __table_args__ = (
        sa.Index("ix_comments_submission_id_id", "submission_id", "id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submissions.id", ondelete="CASCADE")
    author_id: int | None = _author_field()
    body: str = Field(max_length=10_000)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    deleted_at: datetime | None = timestamp_field()
    hidden_at: datetime | None = timestamp_field()


class Idea(SQLModel, table=True):
    """A proposal in the idea box, with its upvote tally and the organizers' answer."""

    __tablename__ = "ideas"
    __table_args__ = (
        sa.CheckConstraint(one_of("status", IdeaStatus), name="status_known"),
        sa.CheckConstraint("upvote_count >= 0", name="upvote_count_not_negative"),
        sa.Index("ix_ideas_upvote_count_id", "upvote_count", "id"),
        sa.Index("ix_ideas_status_upvote_count_id", "status", "upvote_count", "id"),
        sa.Index("ix_ideas_status_id", "status", "id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    author_id: int | None = _author_field()
    title: str = Field(max_length=200)
    body: str = Field(max_length=5000)
    status: str = Field(default=IdeaStatus.NEW, max_length=16)
    response: str | None = Field(default=None, max_length=5000)
    responded_by_id: int | None = Field(default=None, foreign_key="members.id", ondelete="SET NULL")
    responded_at: datetime | None = timestamp_field()
    upvote_count: int = Field(default=0)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    hidden_at: datetime | None = timestamp_field()


class IdeaUpvote(SQLModel, table=True):
    """One upvote per member and idea (the primary key): a repeated PUT inserts nothing."""

    __tablename__ = "idea_upvotes"

    idea_id: int = Field(foreign_key="ideas.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(
        foreign_key="members.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    created_at: datetime = created_at_field()


class Announcement(SQLModel, table=True):
    """Said by organizers to everyone. Members' feeds receive it on their next read (see
    app.notifications.service.catch_up), never by a write per member when it is posted."""

    __tablename__ = "announcements"
    __table_args__ = (sa.Index("ix_announcements_pinned_id", "pinned", "id"), AUTOINCREMENT)

    id: int | None = Field(default=None, primary_key=True)
    author_id: int | None = _author_field()
    title: str = Field(max_length=200)
    body: str = Field(max_length=10_000)
    pinned: bool = Field(default=False)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class ReportCase(SQLModel, table=True):
    """Every report of one target, grouped: the unit organizers resolve or dismiss."""

    __tablename__ = "report_cases"
    __table_args__ = (
        sa.UniqueConstraint("target_type", "target_id"),
        sa.CheckConstraint(one_of("target_type", ReportTarget), name="target_type_known"),
        sa.CheckConstraint(one_of("status", CaseStatus), name="status_known"),
        sa.CheckConstraint("report_count >= 0", name="report_count_not_negative"),
        sa.Index("ix_report_cases_status_id", "status", "id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    target_type: str = Field(max_length=16)
    target_id: int
    status: str = Field(default=CaseStatus.OPEN, max_length=16)
    report_count: int = Field(default=0)
    first_reported_at: datetime = created_at_field()
    last_reported_at: datetime = created_at_field()
    resolved_at: datetime | None = timestamp_field()
    resolved_by_id: int | None = Field(default=None, foreign_key="members.id", ondelete="SET NULL")
    note: str | None = Field(default=None, max_length=1000)
    target_hidden_at: datetime | None = timestamp_field()


class Report(SQLModel, table=True):
    """One member's report of a target; one per member and case."""

    __tablename__ = "reports"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "reporter_id"),
        sa.Index("ix_reports_case_id_id", "case_id", "id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="report_cases.id", ondelete="CASCADE")
    reporter_id: int = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    reason: str = Field(max_length=1000)
    created_at: datetime = created_at_field()
