from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from app.core.pagination import Page
from app.core.types import Flag

# As at registration (app.auth.schemas); not imported, so that auth may use this package.
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
MailedToken = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")
]


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
                    "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 "
                    "Firefox/133.0",
                    "client": "Firefox on Linux",
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
    user_agent: str | None = Field(
        description="The `User-Agent` the log-in began with (at most 256 characters, control "
        "characters removed); null when the client sent none."
    )
    client: str | None = Field(
        description="A coarse description of that client, browser and system "
        '("Firefox on Linux", "Chrome on Android", "curl"); null when not recognised.'
    )
    current: bool = Field(description="Whether this is the log-in making the request.")


class LogInPage(Page[LogInOut]):
    pass


class PasswordResetRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"email": "rina@example.com"}]}
    )

    email: EmailStr = Field(max_length=254)


class PasswordResetConfirm(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "token": "Xq3vJ0b9mT2kR7sWcZ1pL5fA8dHhN4eYuGiBtQoV6xE",
                    "new_password": "a new one!",
                }
            ]
        },
    )

    token: MailedToken
    new_password: Password


class EmailToken(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"token": "Xq3vJ0b9mT2kR7sWcZ1pL5fA8dHhN4eYuGiBtQoV6xE"}]},
    )

    token: MailedToken


class Accepted(BaseModel):
    """The same answer whoever asks: it tells nothing about which addresses exist."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"detail": "If an active account has this address, a mail is on its way."}]
        }
    )

    detail: str


class Leaving(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"password": "correct horse battery", "delete_works": False}]
        },
    )

    password: str = Field(min_length=1, max_length=128)
    delete_works: Flag = Field(
        description="Remove your submissions, comments, posts and ideas too; else they stay, "
        "credited to a former member."
    )
