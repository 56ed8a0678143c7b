from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.core.pagination import Page
from app.submissions.schemas import SUBMISSION_EXAMPLE, SubmissionPublic


class ResultItem(BaseModel):
    """A work's place in the final ranking."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"rank": 1, "votes": 14, "winner": True, "submission": SUBMISSION_EXAMPLE}]
        }
    )

    rank: int = Field(description="Standard competition ranking: ties share a rank (1, 2, 2, 4).")
    votes: int
    winner: bool = Field(
        description="`rank <= winners_count`: a tie at the cut-off shares the win."
    )
    submission: SubmissionPublic


class ResultPage(Page[ResultItem]):
    pass
