from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.core.pagination import Page


class ProblemDescription(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "vote_budget_exhausted",
                    "status": 409,
                    "title": "No votes left",
                    "description": "The member has cast every vote this challenge allows; "
                    "withdraw one to vote for another work.",
                }
            ]
        }
    )

    code: str = Field(description="The `code` of the problems of this kind.")
    status: int = Field(description="The HTTP status they are answered with.")
    title: str
    description: str = Field(description="What it means and what a client can do about it.")


class ProblemDescriptionPage(Page[ProblemDescription]):
    pass
