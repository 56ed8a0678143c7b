"""Works with images in share cards, books and the anthology as a gallery: the card shows
the work's picture, the EPUB carries the pictures and a cover made from the first, and an
anthology's items carry their media so an exhibition is drawn from one request."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.anthologies import card
from app.media.storage import open_storage
from app.models import Media, MediaStatus
from tests.anthologies.helpers import closed_challenge
from tests.anthologies.media_helpers import attach_image, solid
from tests.challenges.helpers import SUBMISSIONS, organizer

RED = (210, 30, 40)


def _close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def _card(client: TestClient, submission_id: int) -> tuple[Image.Image, str]:
    response = client.get(f"{SUBMISSIONS}/{submission_id}/card.png")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    return Image.open(BytesIO(response.content)).convert("RGB"), response.headers["ETag"]


def _winners(client: TestClient, app: FastAPI, count: int) -> list[dict[str, Any]]:
    headers = organizer(app)
    _, works, _ = closed_challenge(
        client, app, headers, list(range(count, 0, -1)), winners_count=count
    )
    return works


def test_a_card_shows_the_works_first_ready_image(
    client: TestClient, app: FastAPI, engine: Engine
) -> None:
    settings = app.state.settings
    pictured, plain, pending = _winners(client, app, 3)
    # Wide, so the crop shows: the band is filled, centre kept, no bars.
    attach_image(engine, settings, pictured["id"], solid(RED, (1600, 600)))
    attach_image(engine, settings, pictured["id"], solid((20, 200, 30)))  # second: not shown
    attach_image(engine, settings, pending["id"], solid(RED), status=MediaStatus.PROCESSING)
    image, etag = _card(client, pictured["id"])
    without, plain_etag = _card(client, plain["id"])
    assert image.size == (1080, 1080)
    for point in ((540, 270), (5, 5), (1075, card.PICTURE_BAND - 5)):
        assert _close(image.getpixel(point), RED), point  # type: ignore[arg-type]
    # Below the picture, the card's own colours; the card without a picture has none.
    assert image.getpixel((540, 1075)) == card.BACKGROUND
    assert without.getpixel((540, 270)) == card.BACKGROUND
    assert not any(_close(without.getpixel((x, 270)), RED) for x in range(0, 1080, 40))  # type: ignore[arg-type]
    # A work whose image is still processing gets the card without a picture.
    processing, _ = _card(client, pending["id"])
    assert processing.getpixel((540, 270)) == card.BACKGROUND
    assert etag != plain_etag
    again = client.get(f"{SUBMISSIONS}/{pictured['id']}/card.png", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_a_picture_missing_from_the_storage_gives_the_plain_card(
    client: TestClient, app: FastAPI, engine: Engine
) -> None:
    settings = app.state.settings
    (work,) = _winners(client, app, 1)
    media_id = attach_image(engine, settings, work["id"], solid(RED))
    with Session(engine) as session:
        media = session.get(Media, media_id)
        assert media is not None
        open_storage(settings).delete(
            [f"{media.storage_key}/{v}.webp" for v in ("medium", "large")]
        )
    image, _ = _card(client, work["id"])
    assert image.getpixel((540, 270)) == card.BACKGROUND
