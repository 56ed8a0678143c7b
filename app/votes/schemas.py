from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.core.pagination import Page


class VotePublic(BaseModel):
    """The caller's vote on a work, and what is left of their budget in its challenge."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "submission_id": 301,
                    "challenge_id": 12,
                    "created_at": "2026-12-06T09:15:00Z",
                    "remaining": 2,
                }
            ]
        }
    )

    submission_id: int
    challenge_id: int
    created_at: datetime
    remaining: int = Field(description="Votes the caller may still cast in this challenge.")


class MyVotes(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"submission_ids": [301, 317], "remaining": 1}]}
    )

    submission_ids: list[int] = Field(description="The works the caller voted for.")
    remaining: int = Field(description="Votes the caller may still cast in this challenge.")


class Voter(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"id": 7, "handle": "rina_draws", "display_name": "Rina Wijaya"}]
        }
    )

    id: int
    handle: str
    display_name: str


class VoteRecord(BaseModel):
    """One current vote, for the organizers' audit."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 5012,
                    "submission_id": 301,
                    "voter": {"id": 7, "handle": "rina_draws", "display_name": "Rina Wijaya"},
                    "created_at": "2026-12-06T09:15:00Z",
                }
            ]
        }
    )

    id: int
    submission_id: int
    voter: Voter
    created_at: datetime


class VotePage(Page[VoteRecord]):
    pass
