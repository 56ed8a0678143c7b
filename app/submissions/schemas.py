from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.core.pagination import Page
from app.core.patching import PatchBody
from app.core.types import Flag, PositiveInt, Text, Title, WebUrl
from app.media.schemas import MediaOut
from app.models import License

WorkTitle = Annotated[Title, StringConstraints(max_length=200)]
WorkDescription = Annotated[Text, StringConstraints(max_length=5000)]
WorkContent = Annotated[
    Text,
    StringConstraints(max_length=100_000),
    Field(description="The text of a written work (up to 100,000 characters)."),
]
MediaUrls = Annotated[
    list[WebUrl],
    Field(max_length=10, description="Up to 10 http(s) links to images, video or audio."),
]


def _unique(ids: list[int]) -> list[int]:
    if len(set(ids)) != len(ids):
        raise ValueError("each media id may appear once")
    return ids


MediaIds = Annotated[
    list[PositiveInt],
    AfterValidator(_unique),
    Field(
        max_length=10,
        description="Up to 10 of the author's own uploads (`POST /api/v1/media`), in the "
        "order to show them; each once. Not `failed`; `processing` is fine.",
    ),
]
LICENSE_DESCRIPTION = "`all-rights-reserved`, or a Creative Commons 4.0 license id."
CONSENT_DESCRIPTION = "Whether the work may be collected into a community anthology."

_SUBMISSION_INPUT: dict[str, Any] = {
    "title": "Pasar pagi",
    "description": "Morning market in Yogyakarta, shot on film.",
    "content": "",
    "media_urls": ["https://images.example.com/pasar-pagi.jpg"],
    "media_ids": [],
    "license": "CC-BY-4.0",
    "anthology_consent": True,
}


class SubmissionCreate(BaseModel):
    """A work for a challenge that is open for submissions."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_SUBMISSION_INPUT]})

    title: WorkTitle
    description: WorkDescription = ""
    content: WorkContent = ""
    media_urls: MediaUrls = []
    media_ids: MediaIds = []
    license: License = Field(default=License.ALL_RIGHTS_RESERVED, description=LICENSE_DESCRIPTION)
    anthology_consent: Flag = Field(default=False, description=CONSENT_DESCRIPTION)


# Fields that may be left out of a PATCH but never set to null.
_NOT_NULLABLE = frozenset(
    {"title", "description", "content", "media_urls", "media_ids", "license", "anthology_consent"}
)
# What the author may change only while the challenge is open; license and consent are the
# author's to change at any time (consent to an anthology may well come after a win).
WORK_FIELDS = frozenset({"title", "description", "content", "media_urls", "media_ids"})


class SubmissionUpdate(PatchBody):
    """Changes to one's own work; title, description, content and media only while open."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"title": "Pasar pagi (revised)"}, {"license": "CC0-1.0"}]},
    )

    title: WorkTitle | None = None
    description: WorkDescription | None = None
    content: WorkContent | None = None
    media_urls: MediaUrls | None = None
    media_ids: MediaIds | None = Field(
        default=None, description="Replaces the work's files (`[]` removes them all)."
    )
    license: License | None = Field(default=None, description=LICENSE_DESCRIPTION)
    anthology_consent: Flag | None = Field(default=None, description=CONSENT_DESCRIPTION)

    not_nullable = _NOT_NULLABLE


_AUTHOR_EXAMPLE: dict[str, Any] = {
    "id": 7,
    "handle": "rina_draws",
    "display_name": "Rina Wijaya",
    "avatar_url": None,
    "open_for_commissions": True,
}


class SubmissionAuthor(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_AUTHOR_EXAMPLE]})

    id: int
    handle: str
    display_name: str
    avatar_url: str | None
    open_for_commissions: bool = Field(description="Whether the author takes commissions.")


SUBMISSION_EXAMPLE: dict[str, Any] = {
    "id": 301,
    "challenge_id": 12,
    "author": _AUTHOR_EXAMPLE,
    **{k: v for k, v in _SUBMISSION_INPUT.items() if k != "media_ids"},
    "media": [],
    "vote_count": 14,
    "featured": False,
    "disqualified": False,
    "winner": True,
    "moderation_reason": None,
    "created_at": "2026-11-20T08:00:00Z",
    "updated_at": "2026-11-20T08:00:00Z",
}


class SubmissionPublic(BaseModel):
    """A work in a challenge."""

    model_config = ConfigDict(json_schema_extra={"examples": [SUBMISSION_EXAMPLE]})

    id: int
    challenge_id: int
    author: SubmissionAuthor | None = Field(
        description="Who made it; `null` for a juror of the challenge until it closes "
        "(blind judging)."
    )
    title: str
    description: str
    content: str
    media_urls: list[str]
    media: list[MediaOut] = Field(
        description="The work's uploaded files in the author's order (deleted ones left out)."
    )
    license: License
    anthology_consent: bool
    vote_count: int | None = Field(
        description="Votes received; null until the challenge is closed (organizers see it)."
    )
    featured: bool
    disqualified: bool
    winner: bool = Field(description="A winner of the closed challenge.")
    moderation_reason: str | None = Field(
        description="The organizers' last moderation note; only the author and organizers see it."
    )
    created_at: datetime
    updated_at: datetime


class SubmissionPage(Page[SubmissionPublic]):
    pass


class ModerationAction(StrEnum):
    DISQUALIFY = "disqualify"
    REINSTATE = "reinstate"
    FEATURE = "feature"
    UNFEATURE = "unfeature"


class Moderation(BaseModel):
    """An organizer's decision on a work; the author is told about disqualify and feature."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "disqualify", "reason": "Submitted by someone other than the author."},
                {"action": "feature", "reason": None},
            ]
        },
    )

    action: ModerationAction
    reason: Annotated[Text, StringConstraints(max_length=500)] | None = None
