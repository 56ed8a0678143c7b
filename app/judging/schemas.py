from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StringConstraints

from app.challenges.schemas import CriterionKey, JudgingPublic
from app.core.pagination import Page
from app.core.types import Text


def _whole(value: object) -> object:
    """JSON has one number type: 8.0 is the integer 8 (a string never is)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


Score = Annotated[StrictInt, BeforeValidator(_whole), Field(ge=1, le=10)]
Note = Annotated[Text, StringConstraints(max_length=2000)]


class ScoreIn(BaseModel):
    """A juror's scores of one work: every criterion of the rubric, 1–10 each."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"scores": {"concept": 8, "craft": 6}, "note": "Bold framing; the edit is loose."}
            ]
        },
    )

    scores: dict[CriterionKey, Score] = Field(
        description="One score (1–10) per criterion key of the challenge's rubric; all required."
    )
    note: Note = Field(
        default="", description="For the author, shown to them once the challenge closes."
    )


_SCORE_EXAMPLE: dict[str, Any] = {
    "submission_id": 301,
    "challenge_id": 12,
    "scores": {"concept": 8, "craft": 6},
    "note": "Bold framing; the edit is loose.",
    "jury_score": 7.333333,
    "created_at": "2026-12-06T09:00:00Z",
    "updated_at": "2026-12-06T09:30:00Z",
}


class ScorePublic(BaseModel):
    """The caller's scores of a work, as stored (a re-score replaced the earlier ones)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SCORE_EXAMPLE]})

    submission_id: int
    challenge_id: int
    scores: dict[str, int]
    note: str
    jury_score: float = Field(description="This juror's weighted mean of the criteria (1–10).")
    created_at: datetime
    updated_at: datetime


class ScoreRecord(BaseModel):
    """Who scored which work, and when last (the organizers' progress view)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"juror_id": 4, "submission_id": 301, "scored_at": "2026-12-06T09:30:00Z"}]
        }
    )

    juror_id: int
    submission_id: int
    scored_at: datetime


class JurorProgress(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"juror_id": 4, "scored": 12, "to_score": 29}]}
    )

    juror_id: int
    scored: int = Field(description="Works this juror has scored.")
    to_score: int = Field(
        description="Works of the challenge still unscored by this juror (their own and "
        "those they may not judge included)."
    )


class JudgingProgress(Page[ScoreRecord]):
    """The challenge's judging setup, each juror's progress and (paged) every score given."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {"juror_id": 4, "submission_id": 301, "scored_at": "2026-12-06T09:30:00Z"}
                    ],
                    "next_cursor": None,
                    "judging": {
                        "mode": "combined",
                        "jury_weight": 0.6,
                        "criteria": [{"key": "concept", "title": "Concept", "weight": 2}],
                        "juror_ids": [4, 9],
                    },
                    "works": 41,
                    "jurors": [
                        {"juror_id": 4, "scored": 12, "to_score": 29},
                        {"juror_id": 9, "scored": 0, "to_score": 41},
                    ],
                }
            ]
        }
    )

    judging: JudgingPublic
    works: int = Field(description="Works entered in the challenge.")
    jurors: list[JurorProgress]


class AuthorScore(BaseModel):
    """One juror's scores and note on the author's work (jurors are not named)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "scores": {"concept": 8, "craft": 6},
                    "note": "Bold framing; the edit is loose.",
                    "jury_score": 7.333333,
                }
            ]
        }
    )

    scores: dict[str, int]
    note: str
    jury_score: float


class AuthorScorePage(Page[AuthorScore]):
    pass
