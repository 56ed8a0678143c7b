from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, created_at_field


class Inquiry(SQLModel, table=True):
    """A prospective client's message to a creator open for commissions."""

    __tablename__ = "inquiries"
    __table_args__ = (
        # The creator's inbox, newest first.
        sa.Index("ix_inquiries_member_id_id", "member_id", "id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="members.id", ondelete="CASCADE")
    name: str = Field(max_length=100)
    email: str = Field(max_length=254)
    message: str = Field(max_length=5000)
    # Set when the sender was logged in; anonymous inquiries are the common case.
    sender_id: int | None = Field(
        default=None, foreign_key="members.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = created_at_field()
