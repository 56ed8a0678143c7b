from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.pagination import Page
from app.models import MediaKind, MediaStatus

_THUMB: dict[str, Any] = {
    "url": "/api/v1/media/42/content?variant=thumb",
    "width": 320,
    "height": 213,
    "content_type": "image/webp",
}
_MEDIUM: dict[str, Any] = {
    **_THUMB,
    "url": "/api/v1/media/42/content?variant=medium",
    "width": 1280,
    "height": 853,
}
_LARGE: dict[str, Any] = {
    **_THUMB,
    "url": "/api/v1/media/42/content?variant=large",
    "width": 2048,
    "height": 1365,
}
_VARIANTS: dict[str, Any] = {"thumb": _THUMB, "medium": _MEDIUM, "large": _LARGE}
_MEDIA_EXAMPLE: dict[str, Any] = {
    "id": 42,
    "kind": "image",
    "content_type": "image/jpeg",
    "bytes": 1843200,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "width": 2048,
    "height": 1365,
    "duration_s": None,
    "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
    "alt_text": "Batik cloth drying in the sun at the Sanggar courtyard",
    "status": "ready",
    "failure_reason": None,
    "url": "/api/v1/media/42/content",
    "variants": _VARIANTS,
    "created_at": "2026-11-02T08:15:00Z",
}


class MediaVariant(BaseModel):
    """A WebP copy of an image, longest side 320 (`thumb`), 1280 (`medium`) or 2560 (`large`),
    never larger than the original."""

    model_config = ConfigDict(json_schema_extra={"examples": [_THUMB]})

    url: str = Field(description="Where the bytes are: the content path with `?variant=`.")
    width: int
    height: int
    content_type: str


class MediaVariants(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_VARIANTS]})

    thumb: MediaVariant | None
    medium: MediaVariant | None
    large: MediaVariant | None


class MediaOut(BaseModel):
    """An uploaded file. Fields that do not apply to its kind are null."""

    model_config = ConfigDict(json_schema_extra={"examples": [_MEDIA_EXAMPLE]})

    id: int
    kind: MediaKind
    content_type: str = Field(description="Decided from the bytes; HEIC is served as JPEG.")
    bytes: int
    sha256: str
    width: int | None
    height: int | None
    duration_s: float | None
    blurhash: str | None = Field(description="A placeholder to paint while the image loads.")
    alt_text: str | None
    status: MediaStatus
    failure_reason: str | None
    url: str = Field(description="The content path: `/api/v1/media/{id}/content`.")
    variants: MediaVariants | None = Field(description="Images only, once `ready`.")
    created_at: datetime


class MediaPage(Page[MediaOut]):
    pass
