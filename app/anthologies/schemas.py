from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.core.pagination import Page
from app.core.patching import PatchBody
from app.core.types import PositiveInt, Text, Title
from app.models import AnthologyStatus, License

MAX_WORKS = 200
AnthologyTitle = Annotated[Title, StringConstraints(max_length=200)]
AnthologyDescription = Annotated[Text, StringConstraints(max_length=10_000)]
EditorNote = Annotated[Text, StringConstraints(max_length=2000)]
SubmissionIds = Annotated[list[PositiveInt], Field(max_length=MAX_WORKS)]
ChallengeIds = Annotated[list[PositiveInt], Field(min_length=1, max_length=20)]
SOURCES = ("submission_ids", "entries", "challenge_ids")


class ExclusionReason(StrEnum):
    """Why a chosen work is not in the book."""

    NO_CONSENT = "no_consent"
    DISQUALIFIED = "disqualified"
    CHALLENGE_NOT_CLOSED = "challenge_not_closed"


class EntryInput(BaseModel):
    """A work for the book, with the editor's note shown above it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"submission_id": 41, "editor_note": "The story that won the jury."}]
        },
    )

    submission_id: PositiveInt
    editor_note: EditorNote = ""


Entries = Annotated[list[EntryInput], Field(max_length=MAX_WORKS)]


def _one_source(model: BaseModel) -> None:
    sent = [name for name in SOURCES if getattr(model, name, None) is not None]
    if len(sent) > 1:
        raise ValueError(f"send only one of {', '.join(sent)}")
    for name in ("submission_ids", "entries"):
        values = getattr(model, name, None)
        if values is None:
            continue
        ids = [v if isinstance(v, int) else v.submission_id for v in values]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{name} lists a work twice")


class AnthologyCreate(BaseModel):
    """A new anthology. Send at most one of `submission_ids` (in book order), `entries` (in
    book order, each with an optional `editor_note`) or `challenge_ids` (the winners of those
    closed challenges, by rank, ties at the cut-off included)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Cerita Kota 2026",
                    "description": "The year's best short fiction from our writing challenges.",
                    "entries": [
                        {"submission_id": 41, "editor_note": "The jury's favourite."},
                        {"submission_id": 17},
                    ],
                },
                {"title": "Morning Light", "challenge_ids": [3, 4], "status": "published"},
            ]
        },
    )

    title: AnthologyTitle
    description: AnthologyDescription = ""
    status: AnthologyStatus = AnthologyStatus.DRAFT
    submission_ids: SubmissionIds | None = None
    entries: Entries | None = None
    challenge_ids: ChallengeIds | None = None

    @model_validator(mode="after")
    def _check_sources(self) -> AnthologyCreate:
        _one_source(self)
        return self


class AnthologyUpdate(PatchBody):
    """Changes to an anthology; only the fields sent change. Sending one of
    `submission_ids`, `entries` or `challenge_ids` replaces the works as a whole."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"status": "published"},
                {"entries": [{"submission_id": 17}, {"submission_id": 41, "editor_note": "…"}]},
            ]
        },
    )

    title: AnthologyTitle | None = None
    description: AnthologyDescription | None = None
    status: AnthologyStatus | None = None
    submission_ids: SubmissionIds | None = None
    entries: Entries | None = None
    challenge_ids: ChallengeIds | None = None

    not_nullable = frozenset({"title", "description", "status"})

    @model_validator(mode="after")
    def _check(self) -> AnthologyUpdate:
        _one_source(self)
        return self


class AnthologyAuthor(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"id": 12, "handle": "rina_w", "display_name": "Rina Wijaya"}]
        }
    )

    id: int
    handle: str
    display_name: str


class AnthologyChallenge(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": 3, "title": "Monthly writing challenge: Rain"}]}
    )

    id: int
    title: str


class AnthologyItem(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "submission_id": 41,
                    "position": 1,
                    "title": "Hujan di Braga",
                    "license": "CC-BY-4.0",
                    "editor_note": "The jury's favourite.",
                    "author": {"id": 12, "handle": "rina_w", "display_name": "Rina Wijaya"},
                    "challenge": {"id": 3, "title": "Monthly writing challenge: Rain"},
                }
            ]
        }
    )

    submission_id: int
    position: int = Field(description="Place in the book, from 1.")
    title: str
    license: License
    editor_note: str
    author: AnthologyAuthor
    challenge: AnthologyChallenge


class ExcludedWork(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"submission_id": 17, "reason": "no_consent"}]}
    )

    submission_id: int
    reason: ExclusionReason


_ITEM_EXAMPLE: dict[str, Any] = {
    "submission_id": 41,
    "position": 1,
    "title": "Hujan di Braga",
    "license": "CC-BY-4.0",
    "editor_note": "The jury's favourite.",
    "author": {"id": 12, "handle": "rina_w", "display_name": "Rina Wijaya"},
    "challenge": {"id": 3, "title": "Monthly writing challenge: Rain"},
}
_SUMMARY_EXAMPLE: dict[str, Any] = {
    "id": 2,
    "title": "Cerita Kota 2026",
    "description": "The year's best short fiction from our writing challenges.",
    "status": "published",
    "work_count": 1,
    "epub_url": "/api/v1/anthologies/2.epub",
    "created_by_id": 3,
    "created_at": "2026-11-20T09:00:00Z",
    "updated_at": "2026-11-21T10:00:00Z",
    "published_at": "2026-11-21T10:00:00Z",
}


class AnthologySummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_SUMMARY_EXAMPLE]})

    id: int
    title: str
    description: str
    status: AnthologyStatus
    work_count: int = Field(description="Works in the book now (consenting, standing).")
    epub_url: str
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None = Field(description="When it was first published.")


class AnthologyPublic(AnthologySummary):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_SUMMARY_EXAMPLE,
                    "submission_ids": [41, 17],
                    "items": [_ITEM_EXAMPLE],
                    "excluded": [{"submission_id": 17, "reason": "no_consent"}],
                }
            ]
        }
    )

    submission_ids: list[int] = Field(
        description="The works chosen, in book order, as `submission_ids` is sent (organizers; "
        "others see the works in the book): what a client sends back to keep or reorder them."
    )
    items: list[AnthologyItem] = Field(description="The works in the book, in order.")
    excluded: list[ExcludedWork] = Field(
        description="Chosen works left out and why (organizers only; empty for others). A "
        "work comes back by itself when its author consents again or it is reinstated."
    )


class AnthologyPage(Page[AnthologySummary]):
    pass
