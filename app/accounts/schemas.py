from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.auth.schemas import Password
from app.core.pagination import Page


class PasswordChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"current_password": "correct horse battery", "new_password": "tr0ub4dor & 3"}
            ]
        },
    )

    current_password: str = Field(min_length=1, max_length=128)
    new_password: Password


class LogInOut(BaseModel):
    """One of the member's log-ins (a session of the password flow)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 41,
                    "created_at": "2026-12-01T08:30:00Z",
                    "last_used_at": "2026-12-05T19:02:11Z",
                    "user_agent": None,
                    "current": True,
                }
            ]
        }
    )

    id: int
    created_at: datetime
    last_used_at: datetime | None = Field(
        description="When its refresh token was last exchanged (or the log-in began)."
    )
    user_agent: str | None = Field(description="The client that logged in, when known.")
    current: bool = Field(description="Whether this is the log-in making the request.")


class LogInPage(Page[LogInOut]):
    pass
