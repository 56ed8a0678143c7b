"""The images of works, for their share cards, books and galleries: each work's files as
the API shows them and which ready images it has (one query for any number of works), and
the pixels of a variant, read from the media storage (the local file when there is one, else
a temporary copy fetched from object storage).

A variant that cannot be read (missing from the storage, not an image) is logged and left
out: the card or book is made without it rather than failing.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.media.presenters import media_out
from app.media.schemas import MediaOut
from app.media.storage import open_storage
from app.models import Media, MediaKind, MediaStatus, SubmissionMedia

if TYPE_CHECKING:  # Pillow loads at the first picture read (app.anthologies.card)
    from PIL import Image

log = structlog.get_logger("sanggar.anthologies")
# Tried in this order: the medium variant is enough for a card and a book page.
VARIANTS = ("medium", "large")


def work_images(session: Session, submission_ids: Iterable[int]) -> dict[int, list[Media]]:
    """Each work's ready, undeleted images in the author's order: one query."""
    ids = sorted(set(submission_ids))
    found: dict[int, list[Media]] = defaultdict(list)
    if not ids:
        return found
    statement = (
        select(SubmissionMedia.submission_id, Media)
        .join(Media, col(Media.id) == col(SubmissionMedia.media_id))
        .where(
            col(SubmissionMedia.submission_id).in_(ids),
            Media.kind == MediaKind.IMAGE.value,
            Media.status == MediaStatus.READY.value,
            col(Media.deleted_at).is_(None),
        )
        .order_by(col(SubmissionMedia.submission_id), col(SubmissionMedia.position))
    )
    for submission_id, media in session.exec(statement):
        found[submission_id].append(media)
    return found


def media_of_works(session: Session, submission_ids: Iterable[int]) -> dict[int, list[MediaOut]]:
    """Every file of each work (not deleted), in the author's order, as the API shows
    them: one query for any number of works."""
    ids = sorted(set(submission_ids))
    found: dict[int, list[MediaOut]] = defaultdict(list)
    if not ids:
        return found
    statement = (
        select(SubmissionMedia.submission_id, Media)
        .join(Media, col(Media.id) == col(SubmissionMedia.media_id))
        .where(col(SubmissionMedia.submission_id).in_(ids), col(Media.deleted_at).is_(None))
        .order_by(col(SubmissionMedia.submission_id), col(SubmissionMedia.position))
    )
    for submission_id, media in session.exec(statement):
        found[submission_id].append(media_out(media))
    return found


def picture_key(media: Media) -> str | None:
    """The storage key of the variant to draw from, or None when it has none."""
    made = media.variants or {}
    for name in VARIANTS:
        if made.get(name):
            return f"{media.storage_key}/{name}.webp"
    return None


def _open(path: Path) -> Image.Image:
    from PIL import Image

    with Image.open(path) as image:
        image.load()
        return image.convert("RGB")


def load(settings: Settings, key: str) -> Image.Image | None:
    """The stored image under `key` as RGB pixels, or None when it cannot be read."""
    storage = open_storage(settings)
    try:
        path = storage.local_path(key)
        if path is not None:
            return _open(path)
        with tempfile.TemporaryDirectory(prefix="sanggar-picture-") as directory:
            target = Path(directory) / "picture"
            storage.fetch_to(key, target)
            return _open(target)
    except Exception:  # a card or book without the picture beats a 500
        log.warning("picture_unreadable", key=key, exc_info=True)
        return None
