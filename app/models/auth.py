from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, UTCDateTime, created_at_field, timestamp_field


class AuthSession(SQLModel, table=True):
    """One log-in: the chain of refresh tokens it rotates through and its access tokens."""

    __tablename__ = "auth_sessions"
    __table_args__ = (AUTOINCREMENT,)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    created_at: datetime = created_at_field()
    revoked_at: datetime | None = timestamp_field()
    # The client the log-in began on (app.auth.clients), so a member can tell log-ins apart.
    user_agent: str | None = Field(default=None, max_length=256)
    client: str | None = Field(default=None, max_length=64)


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_tokens"
    __table_args__ = (
        # A session's tokens, and those refreshed since a moment: the weekly digest asks
        # whether a member refreshed a log-in this week (app.mail.digest._active_since).
        sa.Index("ix_refresh_tokens_session_id_created_at", "session_id", "created_at"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="auth_sessions.id", ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Set when the token is exchanged; a second exchange is a reuse and revokes the session.
    used_at: datetime | None = timestamp_field()


class LoginAttempt(SQLModel, table=True):
    """One log-in attempt against an account, kept while it counts towards the account's
    budget: the budget is counted here, shared by every process, whenever Redis is not
    there to count it (app.auth.attempts)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_account_attempted_at", "account", "attempted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # As app.core.ratelimit counts it: "member:<id>", or a hash of a name of no account.
    account: str = Field(max_length=64)
    attempted_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)


class PersonalAccessToken(SQLModel, table=True):
    __tablename__ = "personal_access_tokens"
    __table_args__ = (AUTOINCREMENT,)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    # The last characters of the secret, so a member can tell tokens apart.
    token_hint: str = Field(max_length=8)
    scopes: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    created_at: datetime = created_at_field()
    expires_at: datetime | None = timestamp_field()
    last_used_at: datetime | None = timestamp_field()


class Invitation(SQLModel, table=True):
    __tablename__ = "invitations"
    __table_args__ = (AUTOINCREMENT,)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    created_by_id: int | None = Field(
        default=None, foreign_key="members.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = timestamp_field()
    used_by_id: int | None = Field(
        default=None, foreign_key="members.id", index=True, ondelete="SET NULL"
    )
