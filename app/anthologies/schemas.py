from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.core.pagination import Page
from app.core.patching import PatchBody
from app.core.types import PositiveInt, Text, Title
from app.media.schemas import MediaOut
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


_MEDIA_EXAMPLE: dict[str, Any] = {
    "id": 77,
    "kind": "image",
    "content_type": "image/jpeg",
    "bytes": 2483112,
    "sha256": "9f2c4e1ad0b35e8c7f6a1b2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f",
    "width": 4000,
    "height": 2667,
    "duration_s": None,
    "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
    "alt_text": "Fog lifting over the rice terraces at dawn.",
    "status": "ready",
    "failure_reason": None,
    "url": "/api/v1/media/77/content",
    "variants": {
        "thumb": {
            "url": "/api/v1/media/77/content?variant=thumb",
            "width": 320,
            "height": 213,
            "content_type": "image/webp",
        },
        "medium": {
            "url": "/api/v1/media/77/content?variant=medium",
            "width": 1280,
            "height": 853,
            "content_type": "image/webp",
        },
        "large": {
            "url": "/api/v1/media/77/content?variant=large",
            "width": 2560,
            "height": 1707,
            "content_type": "image/webp",
        },
    },
    "created_at": "2026-11-02T07:15:00Z",
}
_ITEM_EXAMPLE: dict[str, Any] = {
    "submission_id": 41,
    "position": 1,
    "title": "Kabut di Jatiluwih",
    "description": "Taken at six, before the farmers came.",
    "license": "CC-BY-4.0",
    "editor_note": "The jury's favourite: the light does the work.",
    "author": {"id": 12, "handle": "rina_w", "display_name": "Rina Wijaya"},
    "challenge": {"id": 3, "title": "Weekly photo #45: Morning light"},
    "media": [_MEDIA_EXAMPLE],
}


class AnthologyItem(BaseModel):
    """A work in the book, with what a gallery shows: its files (an exhibition's pictures,
    in the author's order) and the editor's note beside it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ITEM_EXAMPLE]})

    submission_id: int
    position: int = Field(description="Place in the book, from 1.")
    title: str
    description: str = Field(description="The author's words about the work.")
    license: License
    editor_note: str = Field(description="The editor's (curator's) note shown with the work.")
    author: AnthologyAuthor
    challenge: AnthologyChallenge
    media: list[MediaOut] = Field(
        description="The work's files in the author's order, with their variants: what a "
        "gallery draws (use `variants.thumb`/`medium`/`large` and `blurhash`)."
    )


class ExcludedWork(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"submission_id": 17, "reason": "no_consent"}]}
    )

    submission_id: int
    reason: ExclusionReason


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
