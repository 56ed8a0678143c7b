"""Images drawn with Pillow and the bundled DejaVu Sans (Bitstream Vera licence, see
fonts/LICENSE): the 1080×1080 share card of a winning or featured work, and a book cover.
When the work has an image, the card shows it above the text, cropped to fill its band; a
book's cover shows its first image work's.

Drawing is deterministic (same text and picture, same bytes): a card's ETag can be computed
from its text and the picture's storage key (a stored variant never changes) before anything
is drawn.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow loads at the first card or cover drawn, not with the app
    from PIL import Image, ImageDraw, ImageFont

FONTS = Path(__file__).parent / "fonts"
REGULAR, BOLD = FONTS / "DejaVuSans.ttf", FONTS / "DejaVuSans-Bold.ttf"
CARD_SIZE = 1080
COVER_SIZE = (1200, 1800)
# Bump when the drawing changes, so cached cards are fetched again.
CARD_VERSION = "card-2"
BACKGROUND, INK, MUTED = (28, 36, 58), (250, 247, 240), (178, 186, 204)
GOLD, TEAL = (232, 182, 62), (86, 196, 180)
MARGIN = 90
# The band a work's picture fills on a card (the text goes below) and on a book cover.
PICTURE_BAND = 540
COVER_PICTURE_BAND = 1000


@dataclass(frozen=True)
class CardText:
    title: str
    handle: str
    challenge_title: str
    label: str
    community: str
    winner: bool
    # The storage key of the work's picture (its medium variant), or None: drawn without.
    picture: str | None = None


@cache
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(path), size)


def _break_word(
    draw: ImageDraw.ImageDraw, word: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    pieces, current = [], ""
    for char in word:
        if current and draw.textlength(current + char, font=font) > width:
            pieces.append(current)
            current = ""
        current += char
    return [*pieces, current] if current else pieces


def wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    """Greedy word wrap to `width` pixels; words longer than a line are broken."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        for piece in _break_word(draw, word, font, width):
            candidate = f"{current} {piece}".strip()
            if current and draw.textlength(candidate, font=font) > width:
                lines.append(current)
                current = piece
            else:
                current = candidate
    if current:
        lines.append(current)
    return lines


def fit(
    draw: ImageDraw.ImageDraw, text: str, *, path: Path, width: int, height: int, sizes: range
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest size at which the wrapped text fits the box; at the smallest, the lines
    that fit, the last one ending in an ellipsis."""
    for size in sizes:
        font = _font(path, size)
        lines = wrap(draw, text, font, width)
        if len(lines) * int(size * 1.2) <= height:
            return font, lines
    size = sizes[-1]
    font = _font(path, size)
    lines = wrap(draw, text, font, width)
    keep = max(1, height // int(size * 1.2))
    if len(lines) > keep:
        last = lines[keep - 1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1]
        lines = [*lines[: keep - 1], last.rstrip() + "…"]
    return font, lines


def _one_line(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _canvas(size: tuple[int, int]) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """A blank image of the community's background colour, and a pen on it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, BACKGROUND)
    return image, ImageDraw.Draw(image)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def share_card(text: CardText, picture: Image.Image | None = None) -> bytes:
    """The 1080×1080 PNG card: the rank, the title, the author, the challenge; with the
    work's picture above them when there is one."""
    if picture is not None:
        return _picture_card(text, picture)
    image, draw = _canvas((CARD_SIZE, CARD_SIZE))
    accent = GOLD if text.winner else TEAL
    width = CARD_SIZE - 2 * MARGIN
    draw.rectangle((0, 0, CARD_SIZE, 24), fill=accent)
    label_font = _font(BOLD, 56)
    draw.text(
        (MARGIN, 110),
        _one_line(draw, text.label.upper(), label_font, width),
        font=label_font,
        fill=accent,
    )
    font, lines = fit(
        draw, text.title, path=BOLD, width=width, height=480, sizes=range(104, 43, -6)
    )
    y = 230
    for line in lines:
        draw.text((MARGIN, y), line, font=font, fill=INK)
        y += int(font.size * 1.2)
    handle_font = _font(REGULAR, 52)
    draw.text(
        (MARGIN, 760),
        _one_line(draw, f"@{text.handle}", handle_font, width),
        font=handle_font,
        fill=INK,
    )
    small = _font(REGULAR, 38)
    draw.text(
        (MARGIN, 840), _one_line(draw, text.challenge_title, small, width), font=small, fill=MUTED
    )
    _footer(draw, text, accent, width)
    return _png(image)


def _footer(
    draw: ImageDraw.ImageDraw, text: CardText, accent: tuple[int, int, int], width: int
) -> None:
    draw.line((MARGIN, 930, CARD_SIZE - MARGIN, 930), fill=MUTED, width=2)
    community = _font(BOLD, 40)
    draw.text(
        (MARGIN, 955),
        _one_line(draw, text.community, community, width),
        font=community,
        fill=accent,
    )


def fill_band(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The picture scaled to cover `size` and centre-cropped to it (no bars, no stretching)."""
    from PIL import Image, ImageOps

    return ImageOps.fit(picture.convert("RGB"), size, method=Image.Resampling.LANCZOS)


def _picture_card(text: CardText, picture: Image.Image) -> bytes:
    """The picture fills the top half; the label, title and author sit below it."""
    image, draw = _canvas((CARD_SIZE, CARD_SIZE))
    image.paste(fill_band(picture, (CARD_SIZE, PICTURE_BAND)), (0, 0))
    accent = GOLD if text.winner else TEAL
    width = CARD_SIZE - 2 * MARGIN
    draw.rectangle((0, PICTURE_BAND, CARD_SIZE, PICTURE_BAND + 16), fill=accent)
    label_font = _font(BOLD, 40)
    draw.text(
        (MARGIN, 588),
        _one_line(draw, text.label.upper(), label_font, width),
        font=label_font,
        fill=accent,
    )
    font, lines = fit(draw, text.title, path=BOLD, width=width, height=150, sizes=range(68, 35, -4))
    y = 648
    for line in lines:
        draw.text((MARGIN, y), line, font=font, fill=INK)
        y += int(font.size * 1.2)
    byline = _font(REGULAR, 36)
    draw.text(
        (MARGIN, 818),
        _one_line(draw, f"@{text.handle} · {text.challenge_title}", byline, width),
        font=byline,
        fill=MUTED,
    )
    _footer(draw, text, accent, width)
    return _png(image)


def cover(title: str, publisher: str, picture: Image.Image | None = None) -> bytes:
    """A book cover: the title large on the community's colours, the publisher below; with
    a picture, the picture fills the top and the title sits under it. PNG without a
    picture, JPEG with one (a photograph as PNG would weigh megabytes)."""
    width, height = COVER_SIZE
    image, draw = _canvas(COVER_SIZE)
    inner = width - 2 * MARGIN
    if picture is None:
        draw.rectangle((0, 0, width, 40), fill=GOLD)
        top, box, sizes = 400, 900, range(130, 59, -10)
    else:
        image.paste(fill_band(picture, (width, COVER_PICTURE_BAND)), (0, 0))
        draw.rectangle((0, COVER_PICTURE_BAND, width, COVER_PICTURE_BAND + 24), fill=GOLD)
        top, box, sizes = COVER_PICTURE_BAND + 90, 460, range(110, 47, -8)
    draw.rectangle((0, height - 40, width, height), fill=GOLD)
    font, lines = fit(draw, title, path=BOLD, width=inner, height=box, sizes=sizes)
    y = top
    for line in lines:
        draw.text((MARGIN, y), line, font=font, fill=INK)
        y += int(font.size * 1.2)
    small = _font(REGULAR, 56)
    draw.text(
        (MARGIN, height - 220), _one_line(draw, publisher, small, inner), font=small, fill=MUTED
    )
    if picture is None:
        return _png(image)
    return jpeg(image)


def jpeg(image: Image.Image, *, quality: int = 85) -> bytes:
    """JPEG bytes (baseline, no metadata): the same pixels always give the same bytes."""
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()
