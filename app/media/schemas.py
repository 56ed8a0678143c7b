from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.core.pagination import Page
from app.models import MediaKind, MediaStatus


class MediaVariant(BaseModel):
    """A WebP copy of an image, longest side 320 (`thumb`), 1280 (`medium`) or 2560 (`large`),
    never larger than the original."""

    url: str = Field(description="Where the bytes are: the content path with `?variant=`.")
    width: int
    height: int
    content_type: str


class MediaVariants(BaseModel):
    thumb: MediaVariant | None
    medium: MediaVariant | None
    large: MediaVariant | None


class MediaOut(BaseModel):
    """An uploaded file. Fields that do not apply to its kind are null."""

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
