from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.pagination import Page
from app.recognition.schemas import MemberSummary

_MEMBER: dict[str, Any] = {
    "id": 12,
    "handle": "rina_w",
    "display_name": "Rina Wijaya",
    "avatar_url": None,
}


class WeekStats(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"week_start": "2026-10-26", "contributions": 12, "active_members": 8}]
        }
    )

    week_start: date = Field(description="The Monday (UTC) of an ISO week overlapping the range.")
    contributions: int = Field(description="Contributions in this week, within the range.")
    active_members: int = Field(description="Members with a contribution in this week and range.")


class EngagementReport(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "from": "2026-11-01",
                    "to": "2026-11-30",
                    "members_total": 120,
                    "members_new": 9,
                    "members_active": 54,
                    "participation_rate": 0.45,
                    "members_silent": 66,
                    "contributions_by_type": {"submission": 40, "vote": 310, "comment": 0},
                    "weekly": [
                        {"week_start": "2026-10-26", "contributions": 12, "active_members": 8}
                    ],
                    "challenge_participation_rate": 0.5,
                    "event_attendance_rate": 0.8,
                }
            ]
        },
    )

    from_: date = Field(alias="from")
    to: date
    members_total: int = Field(
        description="Active accounts (roles member and mentor) that joined on or before `to`."
    )
    members_new: int = Field(description="Of those, how many joined within the range.")
    members_active: int = Field(description="Of those, how many contributed within the range.")
    participation_rate: float = Field(description="members_active / members_total (0 if none).")
    members_silent: int = Field(description="members_total - members_active.")
    contributions_by_type: dict[str, int] = Field(
        description="Contributions of those members within the range, by kind (every kind)."
    )
    weekly: list[WeekStats]
    challenge_participation_rate: float = Field(
        description="Share of the active members who entered a work within the range."
    )
    event_attendance_rate: float = Field(
        description="Of `going` RSVPs to published events starting within the range, the "
        "share that were checked in."
    )


class SilentMember(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member": {
                        "id": 12,
                        "handle": "rina_w",
                        "display_name": "Rina Wijaya",
                        "avatar_url": None,
                    },
                    "joined_at": "2026-11-20T08:00:00Z",
                    "last_contribution_at": None,
                    "newcomer": True,
                }
            ]
        }
    )

    member: MemberSummary
    joined_at: datetime
    last_contribution_at: datetime | None = Field(description="Null: never contributed.")
    newcomer: bool = Field(description="Joined within the window and never contributed.")


class SilentMemberPage(Page[SilentMember]):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "member": _MEMBER,
                            "joined_at": "2026-11-20T08:00:00Z",
                            "last_contribution_at": None,
                            "newcomer": True,
                        }
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )


class FadingMember(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member": {
                        "id": 12,
                        "handle": "rina_w",
                        "display_name": "Rina Wijaya",
                        "avatar_url": None,
                    },
                    "recent": 1,
                    "baseline": 6.0,
                    "last_contribution_at": "2026-11-03T19:30:00Z",
                }
            ]
        }
    )

    member: MemberSummary
    recent: int = Field(description="Contributions in the last 30 days.")
    baseline: float = Field(
        description="Usual monthly contributions: those of the 90 days before the last 30, / 3."
    )
    last_contribution_at: datetime | None


class FadingMemberPage(Page[FadingMember]):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "member": _MEMBER,
                            "recent": 1,
                            "baseline": 6.0,
                            "last_contribution_at": "2026-11-03T19:30:00Z",
                        }
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )
