from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, created_at_field, timestamp_field


class AnthologyStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Anthology(SQLModel, table=True):
    """A book of chosen works. Drafts are seen by organizers only; published ones by all.

    `book_uuid` is the EPUB's stable identifier (urn:uuid), fixed at creation so every
    edition of the book is recognised as the same publication by reading apps.
    `published_at` is set by the first publication and kept (the book's date).
    """

    __tablename__ = "anthologies"
    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'published')", name="status_known"),
        # Lists are newest first; visitors walk only the published ones.
        sa.Index("ix_anthologies_status_id", "status", "id"),
        sa.UniqueConstraint("book_uuid"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    book_uuid: str = Field(max_length=36)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=10_000)
    status: str = Field(default=AnthologyStatus.DRAFT, max_length=16)
    created_by_id: int | None = Field(
        default=None, foreign_key="members.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    published_at: datetime | None = timestamp_field()


class AnthologyEntry(SQLModel, table=True):
    """A work chosen for an anthology, in the editor's order, with the editor's note.

    Entries are kept even while a work cannot be printed (its author has not consented, or
    withdrew consent, or it was disqualified): which entries are in the book is decided at
    every read, so a withdrawn consent takes the work out of the next download at once.
    """

    __tablename__ = "anthology_entries"
    __table_args__ = (
        sa.UniqueConstraint("anthology_id", "position"),
        sa.CheckConstraint("position >= 0", name="position_not_negative"),
    )

    anthology_id: int = Field(foreign_key="anthologies.id", primary_key=True, ondelete="CASCADE")
    submission_id: int = Field(
        foreign_key="submissions.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    position: int
    editor_note: str = Field(default="", max_length=2000)
