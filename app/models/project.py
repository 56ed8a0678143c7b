from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, created_at_field, one_of, timestamp_field


class ProjectKind(StrEnum):
    EBOOK = "ebook"
    EXHIBITION = "exhibition"
    SOCIAL = "social"
    PUBLICATION = "publication"
    OTHER = "other"


class ProjectStatus(StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    COMPLETED = "completed"
    ARCHIVED = "archived"


class ProjectRole(StrEnum):
    COORDINATOR = "coordinator"
    CONTRIBUTOR = "contributor"


class MembershipStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"


class TaskStatus(StrEnum):
    TODO = "todo"
    DOING = "doing"
    DONE = "done"


class Project(SQLModel, table=True):
    """A collaborative project.

    `member_count` and `coordinator_count` count the *active* memberships and are kept on
    the row: a coordinator leaves or is demoted only through a conditional
    `UPDATE … SET coordinator_count = coordinator_count - 1 WHERE coordinator_count > 1`,
    and the CHECK below makes a project without a coordinator impossible whatever the code
    does. `completed_at` is set once, by the first move to `completed` (the marker that
    makes `project.completed` fire exactly once).
    """

    __tablename__ = "projects"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", ProjectKind), name="kind_known"),
        sa.CheckConstraint(one_of("status", ProjectStatus), name="status_known"),
        sa.CheckConstraint("coordinator_count >= 1", name="has_coordinator"),
        sa.CheckConstraint("member_count >= coordinator_count", name="coordinators_are_members"),
        # The list is newest first, optionally by status or kind: keyset pages walk these.
        sa.Index("ix_projects_status_id", "status", "id"),
        sa.Index("ix_projects_kind_id", "kind", "id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=5000)
    kind: str = Field(max_length=16)
    status: str = Field(max_length=16)
    member_count: int = Field(default=1)
    coordinator_count: int = Field(default=1)
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
    completed_at: datetime | None = timestamp_field()


class ProjectSkill(SQLModel, table=True):
    """A skill a project is looking for, one row each, so the list filter can use an index."""

    __tablename__ = "project_skills"
    __table_args__ = (
        sa.Index("ix_project_skills_value_key_project_id", "value_key", "project_id"),
    )

    project_id: int = Field(foreign_key="projects.id", primary_key=True, ondelete="CASCADE")
    value_key: str = Field(max_length=50, primary_key=True)
    value: str = Field(max_length=50)
    position: int = Field(default=0)


class ProjectMember(SQLModel, table=True):
    """A member's place in a project: a join request (`pending`) or a membership (`active`).

    One row per member and project (the primary key), so a second request or a second
    membership cannot exist.
    """

    __tablename__ = "project_members"
    __table_args__ = (
        sa.CheckConstraint(one_of("role", ProjectRole), name="role_known"),
        sa.CheckConstraint(one_of("status", MembershipStatus), name="status_known"),
        sa.CheckConstraint(
            "(status = 'active') = (joined_at IS NOT NULL)", name="joined_when_active"
        ),
    )

    project_id: int = Field(foreign_key="projects.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(
        foreign_key="members.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    role: str = Field(max_length=16)
    status: str = Field(max_length=16)
    created_at: datetime = created_at_field()
    joined_at: datetime | None = timestamp_field()


class ProjectTask(SQLModel, table=True):
    """A card on the project's task board. `completed_at` is set the first time the task is
    done and never cleared: reopening and finishing it again is not a second contribution."""

    __tablename__ = "project_tasks"
    __table_args__ = (
        sa.CheckConstraint(one_of("status", TaskStatus), name="status_known"),
        sa.Index("ix_project_tasks_project_id_id", "project_id", "id"),
        sa.Index("ix_project_tasks_project_id_status_id", "project_id", "status", "id"),
        sa.Index("ix_project_tasks_project_id_assignee_id", "project_id", "assignee_id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", ondelete="CASCADE")
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    status: str = Field(max_length=16)
    assignee_id: int | None = Field(
        default=None, foreign_key="members.id", index=True, ondelete="SET NULL"
    )
    due_on: date | None = Field(default=None)
    created_by_id: int | None = Field(
        default=None, foreign_key="members.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    completed_at: datetime | None = timestamp_field()


class ProgressUpdate(SQLModel, table=True):
    """An entry of the project's progress log."""

    __tablename__ = "project_updates"
    __table_args__ = (
        sa.Index("ix_project_updates_project_id_id", "project_id", "id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", ondelete="CASCADE")
    author_id: int | None = Field(
        default=None, foreign_key="members.id", index=True, ondelete="SET NULL"
    )
    title: str | None = Field(default=None, max_length=200)
    body: str = Field(max_length=10_000)
    created_at: datetime = created_at_field()
