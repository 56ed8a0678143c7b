from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from app.core.pagination import Page
from app.core.types import NonBlankText, Title

_INQUIRY_INPUT: dict[str, Any] = {
    "name": "Ayu Lestari",
    "email": "ayu@studio.example.com",
    "message": "We loved your risograph series; could you illustrate our café's menu?",
}


class InquiryCreate(BaseModel):
    """A message to a creator who is open for commissions; they reply by email."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_INQUIRY_INPUT]})

    name: Annotated[Title, StringConstraints(max_length=100)]
    email: EmailStr = Field(max_length=254, description="Where the creator can reply.")
    message: Annotated[NonBlankText, StringConstraints(max_length=5000)]


class InquiryPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "member_id": 7,
                    **_INQUIRY_INPUT,
                    "sender_id": None,
                    "created_at": "2026-11-27T10:00:00Z",
                }
            ]
        }
    )

    id: int
    member_id: int = Field(description="The creator the inquiry is for.")
    name: str
    email: str
    message: str
    sender_id: int | None = Field(description="The sender, when they were logged in.")
    created_at: datetime


class InquiryPage(Page[InquiryPublic]):
    pass
