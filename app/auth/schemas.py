from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from app.core.types import Line, Title

Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
Handle = Annotated[
    str,
    StringConstraints(min_length=3, max_length=30, pattern=r"^[a-zA-Z0-9_-]+$"),
    Field(description="3–30 of `a-zA-Z0-9_-`, kept as typed, unique ignoring case."),
]
OpaqueToken = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")
]


class RegisterRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "email": "rina@example.com",
                    "password": "correct horse battery",
                    "handle": "rina_draws",
                    "display_name": "Rina Wijaya",
                }
            ]
        },
    )

    email: EmailStr = Field(max_length=254)
    password: Password
    handle: Handle
    display_name: Annotated[Title, StringConstraints(max_length=80)]
    invite_code: Annotated[Line, StringConstraints(max_length=64)] | None = None


class TokenForm(BaseModel):
    """The OAuth2 password grant, as a form (what Swagger UI's Authorize button sends)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "rina_w",
                    "password": "correct horse battery",
                    "grant_type": "password",
                }
            ]
        }
    )

    username: Annotated[Line, StringConstraints(min_length=1, max_length=254)] = Field(
        description="Email or handle."
    )
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    grant_type: Literal["password"] | None = None


class TokenResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…",
                    "token_type": "bearer",
                    "expires_in": 900,
                    "refresh_token": "q0b4Yl6S0n3mK8vT2xWcZ1pR7fJ9dLhA5sEuGyNiBtQ",
                }
            ]
        }
    )

    access_token: str
    token_type: Literal["bearer"]
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str = Field(description="Exchange once at /auth/refresh for a new pair.")


class RefreshRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"refresh_token": "q0b4Yl6S0n3mK8vT2xWcZ1pR7fJ9dLhA5sEuGyNiBtQ"}]
        },
    )

    refresh_token: OpaqueToken
