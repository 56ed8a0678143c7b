from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from typing_extensions import TypeAliasType

from app.core.pagination import Page
from app.core.types import NonBlankText, PositiveInt
from app.members.schemas import MemberPublic, Skill
from app.models import MentorshipStatus

Goal = Annotated[NonBlankText, StringConstraints(max_length=2000)]

_MEMBER: dict[str, Any] = {
    "id": 7,
    "handle": "rina_draws",
    "display_name": "Rina Wijaya",
    "bio": "Illustrator from Bandung; ink, risograph and picture books.",
    "city": "Bandung",
    "disciplines": ["illustration"],
    "skills": ["risograph"],
    "links": [],
    "avatar_url": None,
    "role": "mentor",
    "joined_at": "2025-03-01T09:30:00Z",
    "points": 420,
    "open_for_commissions": False,
    "is_active": True,
    "email": None,
    "mentoring": {"open": True, "topics": ["illustration", "risograph"], "capacity": 3},
}


class MentorPublic(BaseModel):
    """A member with an open mentor profile (in `member.mentoring`) and their free spots."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"member": _MEMBER, "spots_left": 2}]}
    )

    member: MemberPublic
    spots_left: int = Field(description="Capacity minus the mentorships under way.")


class MentorPage(Page[MentorPublic]):
    pass


class MentorFilters(BaseModel):
    topic: Skill | None = Field(default=None, description="Mentors offering this topic (any case).")
    available: bool | None = Field(
        default=None, description="`true`: only mentors with a spot left."
    )


_SUGGESTION_EXAMPLE: dict[str, Any] = {
    "member": _MEMBER,
    "spots_left": 2,
    "matched_topics": ["illustration"],
    "same_city": True,
}


class MentorSuggestion(BaseModel):
    """A mentor suggested for the caller, with why."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SUGGESTION_EXAMPLE]})

    member: MemberPublic
    spots_left: int
    matched_topics: list[str] = Field(
        description="The mentor's topics that match the caller's disciplines or skills."
    )
    same_city: bool = Field(description="Whether the mentor lives in the caller's city.")


class MentorSuggestionList(Page[MentorSuggestion]):
    """The ranking, best matches first, paged like every list."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_SUGGESTION_EXAMPLE], "next_cursor": None}]}
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
