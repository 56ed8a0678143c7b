from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.pagination import Page
from app.core.types import Text, Title
from app.models import BadgeKind, Discipline, PeriodKind


class MemberSummary(BaseModel):
    """Who a ranking or a badge is about (the full profile is at /members/{id})."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "handle": "rina_w",
                    "display_name": "Rina Wijaya",
                    "avatar_url": "https://images.example.org/rina.jpg",
                }
            ]
        }
    )

    id: int
    handle: str
    display_name: str
    avatar_url: str | None


class LeaderboardFilters(BaseModel):
    period: PeriodKind = Field(
        default=PeriodKind.MONTH,
        description="The current ISO week (Monday, UTC), calendar month (UTC), or all time.",
    )
    discipline: Discipline | None = Field(
        default=None, description="Only members who list this discipline on their profile."
    )


class Standing(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rank": 1,
                    "points": 128,
                    "member": {
                        "id": 12,
                        "handle": "rina_w",
                        "display_name": "Rina Wijaya",
                        "avatar_url": None,
                    },
                }
            ]
        }
    )

    rank: int = Field(description="Standard competition rank: ties share it (1, 2, 2, 4).")
    points: int = Field(description="Points earned in the period.")
    member: MemberSummary


_MEMBER_EXAMPLE: dict[str, Any] = {
    "id": 12,
    "handle": "rina_w",
    "display_name": "Rina Wijaya",
    "avatar_url": None,
}


class LeaderboardPage(Page[Standing]):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "period": "month",
                    "period_start": "2026-11-01",
                    "items": [{"rank": 1, "points": 128, "member": _MEMBER_EXAMPLE}],
                    "next_cursor": None,
                }
            ]
        }
    )

    period: PeriodKind
    period_start: date = Field(description="First day of the period (1970-01-01 for all).")


class BadgePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 31,
                    "member_id": 12,
                    "kind": "automatic",
                    "code": "first_submission",
                    "title": "First submission",
                    "reason": "first submission: 'Hujan di Bandung', 2026-11-20",
                    "awarded_at": "2026-11-20T10:12:00Z",
                    "awarded_by_id": None,
                }
            ]
        }
    )

    id: int
    member_id: int
    kind: BadgeKind
    code: str | None = Field(description="The rule of an automatic badge; null for an award.")
    title: str
    reason: str = Field(description="Why it was earned, in words.")
    awarded_at: datetime
    awarded_by_id: int | None = Field(description="The organizer who granted an award.")


class BadgePage(Page[BadgePublic]):
    pass


class AwardCreate(BaseModel):
    """An organizer's award to a member."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Most creative member, November",
                    "note": "For the zine workshop she ran for newcomers.",
                }
            ]
        },
    )

    title: Annotated[Title, StringConstraints(max_length=200)]
    note: Annotated[Text, StringConstraints(max_length=2000)] | None = None


class BadgeRule(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "first_submission",
                    "title": "First submission",
                    "description": "Entered a first work in a challenge.",
                    "holders": 42,
                }
            ]
        }
    )

    code: str
    title: str
    description: str
    holders: int = Field(description="Active members holding this badge.")


class BadgeCatalogue(Page[BadgeRule]):
    """The automatic badges, in a fixed order, and how many hold each; paged like every list."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "code": "first_submission",
                            "title": "First submission",
                            "description": "Entered a first work in a challenge.",
                            "holders": 42,
                        }
                    ],
                    "next_cursor": None,
                    "awards_granted": 3,
                }
            ]
        }
    )

    awards_granted: int = Field(description="Organizer awards held by active members.")
