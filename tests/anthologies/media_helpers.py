"""Works with images, without the upload endpoint: an image is drawn, stored as a ready
upload would be (`<key>/original` and the WebP variants) and attached to the work."""

from __future__ import annotations

import hashlib
import secrets
import tempfile
from pathlib import Path

from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from app.core.clock import utcnow
from app.core.config import Settings
from app.media.storage import open_storage
from app.models import Media, MediaKind, MediaStatus, Submission, SubmissionMedia

RGB = tuple[int, int, int]
SIZES = {"thumb": 320, "medium": 1280, "large": 2560}


def _store(settings: Settings, key: str, image: Image.Image, fmt: str) -> int:
    storage = open_storage(settings)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "file"
        image.save(path, format=fmt, **({"quality": 95} if fmt == "WEBP" else {}))
        size = path.stat().st_size
        storage.put_file(key, path, content_type=f"image/{fmt.lower()}")
    return size


def solid(colour: RGB, size: tuple[int, int] = (900, 600)) -> Image.Image:
    return Image.new("RGB", size, colour)


def attach_image(
    engine: Engine,
    settings: Settings,
    submission_id: int,
    image: Image.Image,
    *,
    alt_text: str | None = None,
    status: MediaStatus = MediaStatus.READY,
) -> int:
    """Stores the image as a ready upload of the work's author, attached last to the work."""
    key = secrets.token_hex(16)
    original = _store(settings, f"{key}/original", image, "PNG")
    variants: dict[str, dict[str, object]] = {}
    for name, longest in SIZES.items():
        copy = image.copy()
        copy.thumbnail((longest, longest))
        made = _store(settings, f"{key}/{name}.webp", copy, "WEBP")
        variants[name] = {
            "width": copy.width,
            "height": copy.height,
            "bytes": made,
            "content_type": "image/webp",
        }
    now = utcnow()
    with Session(engine) as session:
        work = session.get(Submission, submission_id)
        assert work is not None
        media = Media(
            owner_id=work.member_id,
            storage_key=key,
            kind=MediaKind.IMAGE.value,
            content_type="image/png",
            bytes=original,
            sha256=hashlib.sha256(image.tobytes()).hexdigest(),
            width=image.width,
            height=image.height,
            alt_text=alt_text,
            status=status.value,
            variants=variants if status == MediaStatus.READY else None,
            attached_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(media)
        session.flush()
        taken = session.exec(
            select(func.count())
            .select_from(SubmissionMedia)
            .where(col(SubmissionMedia.submission_id) == submission_id)
        ).one()
        assert media.id is not None
        session.add(SubmissionMedia(submission_id=submission_id, position=taken, media_id=media.id))
        session.commit()
        return media.id
