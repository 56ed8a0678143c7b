from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.core.pagination import Page
from app.submissions.schemas import SUBMISSION_EXAMPLE, SubmissionPublic


class CriterionResult(BaseModel):
    """One criterion of the rubric: the work's mean score on it over its jurors."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"key": "concept", "title": "Concept", "weight": 2, "score": 8.5}]
        }
    )

    key: str
    title: str
    weight: int
    score: float | None = Field(description="1–10; null when no juror scored the work.")


class ResultItem(BaseModel):
    """A work's place in the final ranking. The jury fields are null for a challenge
    judged by votes alone."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rank": 1,
                    "votes": 14,
                    "winner": True,
                    "score": 0.826667,
                    "jury_score": 7.833333,
                    "vote_share": 0.875,
                    "breakdown": [
                        {"key": "concept", "title": "Concept", "weight": 2, "score": 8.5},
                        {"key": "craft", "title": "Craft", "weight": 1, "score": 6.5},
                    ],
                    "audience_award": False,
                    "submission": SUBMISSION_EXAMPLE,
                }
            ]
        }
    )

    rank: int = Field(
        description="Standard competition ranking (ties share a rank: 1, 2, 2, 4), by votes "
        "or, for a jury, by `score`."
    )
    votes: int
    winner: bool = Field(
        description="`rank <= winners_count`: a tie at the cut-off shares the win."
    )
    score: float | None = Field(
        description="Jury and combined mode: jury_weight × jury_score/10 + (1 − jury_weight) "
        "× vote_share, 0–1 (6 decimals; equal at 6 decimals is a tie)."
    )
    jury_score: float | None = Field(
        description="The weighted mean of the criteria averaged over the jurors who scored "
        "the work, 0–10; null when none did (it counts as 0)."
    )
    vote_share: float | None = Field(description="Votes as a fraction of the top work's, 0–1.")
    breakdown: list[CriterionResult] | None = Field(
        description="Per criterion, the mean over the work's jurors."
    )
    audience_award: bool = Field(
        description="Combined mode: the most-voted work(s) (with at least one vote)."
    )
    submission: SubmissionPublic


class ResultPage(Page[ResultItem]):
    pass
