from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, created_at_field, timestamp_field


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (
        # The feed walks a member's notifications newest first (by time, then id); the unread
        # count filters on read_at. Both stay one index range per member however large the
        # table grows.
        sa.Index("ix_notifications_member_id_created_at_id", "member_id", "created_at", "id"),
        sa.Index("ix_notifications_member_id_read_at", "member_id", "read_at"),
        # An announcement lands once in a member's feed, however many reads race to copy it.
        sa.UniqueConstraint("member_id", "announcement_id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="members.id", ondelete="CASCADE")
    type: str = Field(max_length=50)
    title: str = Field(max_length=200)
    body: str = Field(default="", max_length=2000)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    # The message ids of title and body and the values they quote (app.notifications.texts):
    # shown in the reader's language. None for announcements (written by a member) and rows
    # older than it, which show `title` and `body` as stored.
    texts: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    created_at: datetime = created_at_field()
    read_at: datetime | None = timestamp_field()
    announcement_id: int | None = Field(
        default=None, foreign_key="announcements.id", ondelete="CASCADE"
    )
