from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.pagination import Page
from app.models import Discipline
from app.submissions.schemas import SUBMISSION_EXAMPLE, SubmissionPublic

_CHALLENGE_EXAMPLE: dict[str, Any] = {
    "id": 12,
    "title": "Weekly photo challenge #48",
    "theme": "Morning light",
    "discipline": "photography",
    "closed_at": "2026-12-07T17:00:00Z",
}


class ShowcaseChallenge(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CHALLENGE_EXAMPLE]})

    id: int
    title: str
    theme: str
    discipline: Discipline
    closed_at: datetime = Field(description="When the challenge's voting closed.")


class ShowcaseItem(BaseModel):
    """A winning or featured work of a closed challenge; its `author` says whether they
    are `open_for_commissions` (send them an inquiry)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "submission": SUBMISSION_EXAMPLE,
                    "challenge": _CHALLENGE_EXAMPLE,
                    "winner": True,
                    "featured": False,
                }
            ]
        }
    )

    submission: SubmissionPublic
    challenge: ShowcaseChallenge
    winner: bool
    featured: bool


class ShowcasePage(Page[ShowcaseItem]):
    pass


class ShowcaseFilters(BaseModel):
    discipline: Discipline | None = None
