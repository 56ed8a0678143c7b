"""Media rows as the API shows them, one at a time or many in one query."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from app.media.schemas import MediaOut, MediaVariant, MediaVariants
from app.models import Media, MediaKind, MediaStatus
from app.readmodels import ReadStatement

VARIANT_NAMES = ("thumb", "medium", "large")


def content_path(media_id: int, variant: str | None = None) -> str:
    path = f"/api/v1/media/{media_id}/content"
    return f"{path}?variant={variant}" if variant else path


def _variants(media_id: int, stored: dict[str, Any] | None) -> MediaVariants | None:
    if not stored:
        return None
    shown: dict[str, MediaVariant | None] = {}
    for name in VARIANT_NAMES:
        made = stored.get(name)
        shown[name] = (
            MediaVariant(
                url=content_path(media_id, name),
                width=made["width"],
                height=made["height"],
                content_type=made["content_type"],
            )
            if made
            else None
        )
    return MediaVariants(**shown)


def media_out(media: Media | sa.Row[Any]) -> MediaOut:
    """A file as shown: from its entity, or from a read model's row of its columns."""
    assert media.id is not None
    ready_image = media.kind == MediaKind.IMAGE and media.status == MediaStatus.READY
    return MediaOut(
        id=media.id,
        kind=MediaKind(media.kind),
        content_type=media.content_type,
        bytes=media.bytes,
        sha256=media.sha256,
        width=media.width,
        height=media.height,
        duration_s=media.duration_s,
        blurhash=media.blurhash,
        alt_text=media.alt_text,
        status=MediaStatus(media.status),
        failure_reason=media.failure_reason,
        url=content_path(media.id),
        variants=_variants(media.id, media.variants) if ready_image else None,
        created_at=media.created_at,
    )


# Built once, in Core: covers are read for every page of events, projects and challenges.
_MEDIA = cast(sa.Table, Media.__table__)  # type: ignore[attr-defined]
_MEDIA_BY_ID = ReadStatement(
    sa.select(*_MEDIA.c).where(
        _MEDIA.c.id.in_(sa.bindparam("media_ids", expanding=True)), _MEDIA.c.deleted_at.is_(None)
    )
)


def media_by_id(session: Session | Connection, media_ids: Iterable[int]) -> dict[int, MediaOut]:
    """The media of many ids in one query; deleted ones are left out."""
    wanted = sorted(set(media_ids))
    if not wanted:
        return {}
    rows = _MEDIA_BY_ID.rows(session, {"media_ids": wanted})
    return {row.id: media_out(row) for row in rows}
