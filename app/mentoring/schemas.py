from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from typing_extensions import TypeAliasType

from app.core.pagination import Page
from app.core.types import Flag, NonBlankText, PositiveInt, Title
from app.models import MentorshipStatus

Goal = Annotated[NonBlankText, StringConstraints(max_length=2000)]

# A topic a mentor offers: shaped like a member's skill, which suggestions match it against.
Topic = Annotated[Title, StringConstraints(max_length=50)]


class MentoringProfile(BaseModel):
    """A member's offer to mentor: whether they take new mentees, on what, and how many."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"open": True, "topics": ["illustration", "risograph"], "capacity": 3}]
        }
    )

    open: bool = Field(description="Whether the mentor takes new mentorship requests.")
    topics: list[str]
    capacity: int = Field(description="How many mentorships the mentor runs at once.")


class MentoringProfileUpdate(BaseModel):
    """The whole mentor profile; sending it replaces the previous one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"open": True, "topics": ["illustration", "risograph"], "capacity": 3}]
        },
    )

    open: Flag
    topics: Annotated[list[Topic], Field(min_length=1, max_length=20)]
    capacity: int = Field(
        ge=1, le=50, description="At least the number of mentorships under way now."
    )


class MentorshipCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "mentor_id": 7,
                    "goal": "Put together a children's picture-book portfolio by March.",
                }
            ]
        },
    )

    mentor_id: PositiveInt
    goal: Goal


MentorshipAnswer = TypeAliasType(
    "MentorshipAnswer",
    Literal[MentorshipStatus.ACCEPTED, MentorshipStatus.DECLINED, MentorshipStatus.COMPLETED],
)


class MentorshipUpdate(BaseModel):
    """The mentor's answer: accept or decline a request; complete or end (decline) an
    accepted mentorship."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "accepted"}, {"status": "completed"}]},
    )

    status: MentorshipAnswer


class MentorshipParty(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 7, "handle": "rina_draws", "display_name": "Rina Wijaya", "avatar_url": None}
            ]
        }
    )

    id: int
    handle: str
    display_name: str
    avatar_url: str | None


class MentorshipPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "mentor": {
                        "id": 7,
                        "handle": "rina_draws",
                        "display_name": "Rina Wijaya",
                        "avatar_url": None,
                    },
                    "mentee": {
                        "id": 31,
                        "handle": "budi",
                        "display_name": "Budi Santoso",
                        "avatar_url": None,
                    },
                    "goal": "Put together a children's picture-book portfolio by March.",
                    "status": "accepted",
                    "created_at": "2026-11-20T08:00:00Z",
                    "updated_at": "2026-11-21T10:00:00Z",
                    "answered_at": "2026-11-21T10:00:00Z",
                    "ended_at": None,
                }
            ]
        }
    )

    id: int
    mentor: MentorshipParty
    mentee: MentorshipParty
    goal: str
    status: MentorshipStatus
    created_at: datetime
    updated_at: datetime
    answered_at: datetime | None = Field(description="When the mentor accepted or declined.")
    ended_at: datetime | None = Field(description="When it was completed or ended.")


class MentorshipPage(Page[MentorshipPublic]):
    pass


MentorshipSide = TypeAliasType("MentorshipSide", Literal["mentor", "mentee"])


class MentorshipFilters(BaseModel):
    role: MentorshipSide | None = Field(
        default=None, description="Only those where the caller is the mentor, or the mentee."
    )
    status: MentorshipStatus | None = None
