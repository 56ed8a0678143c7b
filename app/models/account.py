from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, UTCDateTime, created_at_field, one_of, timestamp_field


class AccountTokenPurpose(StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a secret
    EMAIL_VERIFICATION = "email_verification"
    EMAIL_CHANGE = "email_change"


class AccountToken(SQLModel, table=True):
    """A single-use secret mailed to a member (app/accounts): only its hash is kept, and it
    is consumed by one conditional UPDATE (unused and unexpired), so it works once."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        sa.CheckConstraint(one_of("purpose", AccountTokenPurpose), name="purpose_known"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=32)
    member_id: int = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    # For an email change: the address the token was mailed to, set once it is confirmed.
    new_email: str | None = Field(default=None, max_length=254)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = timestamp_field()
