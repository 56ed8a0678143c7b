from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.pagination import Page
from app.members.schemas import MemberPublic
from app.mentoring.schemas import Topic

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
    "avatar_media_id": None,
    "role": "mentor",
    "joined_at": "2025-03-01T09:30:00Z",
    "points": 420,
    "open_for_commissions": False,
    "is_active": True,
    "email": None,
    "email_verified": None,
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
    topic: Topic | None = Field(default=None, description="Mentors offering this topic (any case).")
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
