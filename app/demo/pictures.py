"""Pictures for the demo's image works, drawn here with Pillow (nothing is downloaded): a
gradient sky, a sun, layered hills or poster blocks, and the work's title. Each work's
picture is decided by its title and author, so the same community gets the same pictures.

A picture goes the way an upload does: stored as the raw upload, processed by the media
processing code (re-encoded original, WebP variants, blurhash), then recorded as a ready
upload of the work's author (its bytes counted against their quota), to be attached
through the work's `media_ids`. The storage cannot share the seeding's transaction, so every
key stored is remembered in `stored`: if the seeding is rolled back, `discard` removes them.
"""

from __future__ import annotations

import hashlib
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter
from sqlmodel import Session

from app.anthologies import card
from app.core.config import Settings
from app.media import processing
from app.media import service as media
from app.media.storage import open_storage
from app.models import Discipline, MediaKind

SIZE = (1200, 800)
SAFE_WIDTH = 820
# Disciplines whose works are pictures.
PICTURED = frozenset({Discipline.PHOTOGRAPHY, Discipline.ILLUSTRATION, Discipline.DESIGN})
PALETTES = [
    ((255, 183, 94), (237, 100, 166), (45, 52, 92)),  # dawn
    ((120, 200, 230), (250, 240, 200), (40, 90, 70)),  # rice terraces
    ((40, 30, 80), (230, 110, 70), (20, 20, 40)),  # dusk
    ((200, 230, 255), (110, 160, 220), (60, 80, 110)),  # harbour
    ((250, 220, 120), (240, 140, 60), (90, 50, 40)),  # market
    ((170, 220, 190), (60, 140, 120), (20, 60, 60)),  # forest
]


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _gradient(
    size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> Image.Image:
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def _landscape(
    draw: ImageDraw.ImageDraw, rng: random.Random, palette: tuple[tuple[int, int, int], ...]
) -> None:
    width, height = SIZE
    sun_x, sun_y, radius = (
        rng.randint(150, width - 150),
        rng.randint(120, 380),
        rng.randint(50, 110),
    )
    draw.ellipse(
        (sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius),
        fill=_mix(palette[0], (255, 255, 240), 0.6),
    )
    for layer in range(4):
        base = round(height * (0.45 + 0.13 * layer))
        shade = _mix(palette[1], palette[2], (layer + 1) / 4)
        points: list[tuple[int, int]] = [(0, height)]
        for x in range(0, width + 100, 100):
            points.append((x, base + rng.randint(-60, 40)))
        points.append((width, height))
        draw.polygon(points, fill=shade)


def _poster(
    draw: ImageDraw.ImageDraw, rng: random.Random, palette: tuple[tuple[int, int, int], ...]
) -> None:
    width, height = SIZE
    for _ in range(rng.randint(5, 9)):
        x, y = rng.randint(-100, width), rng.randint(-100, height - 200)
        w, h = rng.randint(120, 420), rng.randint(120, 420)
        colour = _mix(palette[rng.randint(0, 2)], (255, 255, 255), rng.random() * 0.4)
        if rng.random() < 0.5:
            draw.ellipse((x, y, x + w, y + h), fill=colour)
        else:
            draw.rectangle((x, y, x + w, y + h), fill=colour)


def draw(title: str, discipline: Discipline, *, seed: str = "") -> Image.Image:
    """The work's picture, 1200×800: the same title and seed (its author's handle) always
    give the same picture."""
    digest = hashlib.sha256(f"{seed}\n{title}".encode()).digest()
    rng = random.Random(digest)  # noqa: S311 - demo art, not security
    palette = rng.choice(PALETTES)
    image = _gradient(SIZE, palette[0], palette[1])
    shapes = ImageDraw.Draw(image)
    if discipline == Discipline.PHOTOGRAPHY:
        _landscape(shapes, rng, palette)
        image = image.filter(ImageFilter.GaussianBlur(1.2))  # a lens, not a vector drawing
    else:
        _poster(shapes, rng, palette)
    words = ImageDraw.Draw(image)
    # Inside what every crop keeps (a share card's 2:1 band, a book cover's 6:5): centred,
    # above the bottom eighth.
    font, lines = card.fit(
        words, title, path=card.BOLD, width=SAFE_WIDTH, height=110, sizes=range(48, 27, -4)
    )
    step = int(font.size * 1.2)
    y = SIZE[1] - 140 - len(lines) * step
    for line in lines:
        x = (SIZE[0] - round(words.textlength(line, font=font))) // 2
        words.text((x + 2, y + 2), line, font=font, fill=(0, 0, 0))
        words.text((x, y), line, font=font, fill=(255, 255, 255))
        y += step
    return image


@dataclass
class DemoMedia:
    """Stores the demo's pictures; remembers what it stored, to discard on a rollback."""

    settings: Settings
    stored: list[str] = field(default_factory=list)

    def upload(
        self, session: Session, *, owner_id: int, seed: str, title: str, discipline: Discipline
    ) -> int:
        """A ready image upload of `owner_id` showing the picture of `title`; its id."""
        storage = open_storage(self.settings)
        key = media.new_storage_key()
        with tempfile.TemporaryDirectory(prefix="sanggar-demo-") as scratch:
            raw = Path(scratch) / "upload.jpg"
            draw(title, discipline, seed=seed).save(raw, format="JPEG", quality=90)
            data = raw.read_bytes()
            self.stored.append(media.upload_key(key))
            storage.put_file(media.upload_key(key), raw, content_type="image/jpeg")
        claimed = processing.Claimed(
            lease_token="seed-demo",  # noqa: S106 - not a secret: no lease is taken
            media_id=0,
            owner_id=owner_id,
            storage_key=key,
            kind=MediaKind.IMAGE.value,
            content_type="image/jpeg",
            size=len(data),
            attempts=1,
        )
        self.stored += [
            media.original_key(key),
            *(media.variant_key(key, n) for n in ("thumb", "medium", "large")),
        ]
        made = processing.make(claimed, storage, self.settings)
        storage.delete([media.upload_key(key)])
        row = media.create_media(
            session,
            media.NewMedia(
                owner_id=owner_id,
                storage_key=key,
                kind=MediaKind.IMAGE,
                content_type=made.content_type,
                size=made.size,
                sha256=made.sha256,
                alt_text=f"{title}: a picture drawn for the demo community.",
                width=made.width,
                height=made.height,
                ready=True,
            ),
            quota=media.quota_bytes(self.settings.media_quota_mb),
        )
        row.blurhash = made.blurhash
        row.variants = made.variants
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id

    def discard(self) -> None:
        """Removes what was stored (the seeding that stored it was rolled back)."""
        if self.stored:
            open_storage(self.settings).delete(self.stored)
            self.stored.clear()
