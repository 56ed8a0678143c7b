"""Works with images in share cards, books and the anthology as a gallery: the card shows
the work's picture, the EPUB carries the pictures and a cover made from the first, and an
anthology's items carry their media so an exhibition is drawn from one request."""

from __future__ import annotations

import re
import subprocess
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.anthologies import card
from app.media.storage import open_storage
from app.models import Media, MediaStatus
from tests.anthologies.helpers import ANTHOLOGIES, closed_challenge, create
from tests.anthologies.media_helpers import attach_image, solid
from tests.anthologies.test_epub import _epubcheck
from tests.challenges.helpers import SUBMISSIONS, move_to, organizer
from tests.factories import QueryCounter
from tests.media.conftest import (  # noqa: F401 - fixtures: an app on each storage back end
    media_client,
    s3_app,
    s3_client,
    s3_server,
    s3_settings_overrides,
)
from tests.media.helpers import process, upload

RED = (210, 30, 40)
BLUE = (30, 50, 210)


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


def _image_book(
    client: TestClient, app: FastAPI, engine: Engine
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A published anthology of three works: two with pictures (the first with two, one
    with alt text), one without."""
    settings = app.state.settings
    headers = organizer(app)
    _, works, _ = closed_challenge(client, app, headers, [0, 0, 0], discipline="photography")
    attach_image(engine, settings, works[0]["id"], solid(RED), alt_text='Red <field> & "sky"')
    attach_image(engine, settings, works[0]["id"], solid((20, 200, 30), (400, 900)))
    attach_image(engine, settings, works[2]["id"], solid((30, 40, 220)))
    entries = [
        {"submission_id": w["id"], "editor_note": f"Curator: look at {w['title']}"} for w in works
    ]
    anthology = create(client, headers, title="Morning Light", entries=entries, status="published")
    return anthology, works


def _epub(client: TestClient, anthology_id: int) -> bytes:
    response = client.get(f"{ANTHOLOGIES}/{anthology_id}.epub")
    assert response.status_code == 200, response.text
    return response.content


def test_the_book_carries_the_pictures_with_alt_text_and_a_cover(
    client: TestClient, app: FastAPI, engine: Engine
) -> None:
    anthology, _ = _image_book(client, app, engine)
    data = _epub(client, anthology["id"])
    assert _epub(client, anthology["id"]) == data  # still deterministic
    with zipfile.ZipFile(BytesIO(data)) as book:
        names = book.namelist()
        pictures = sorted(n for n in names if n.startswith("EPUB/images/"))
        assert pictures == [
            "EPUB/images/work-001-1.jpg",
            "EPUB/images/work-001-2.jpg",
            "EPUB/images/work-003-1.jpg",
        ]
        first = Image.open(BytesIO(book.read(pictures[0])))
        assert first.format == "JPEG" and first.size == (900, 600)
        assert _close(first.convert("RGB").getpixel((450, 300)), RED)  # type: ignore[arg-type]
        chapter = book.read("EPUB/work-001.xhtml").decode()
        assert 'src="images/work-001-1.jpg"' in chapter
        assert 'alt="Red &lt;field&gt; &amp; &quot;sky&quot;"' in chapter
        assert 'alt="Story 0"' in chapter  # no alt text: the work's title
        assert "Curator: look at Story 0" in chapter
        assert "<img" not in book.read("EPUB/work-002.xhtml").decode()
        opf = book.read("EPUB/content.opf").decode()
        assert re.search(r'<item[^>]*href="cover.jpg"[^>]*properties="cover-image"', opf) or (
            re.search(r'<item[^>]*properties="cover-image"[^>]*href="cover.jpg"', opf)
        ), opf
        assert 'href="images/work-001-1.jpg"' in opf and "image/webp" not in opf
        cover = Image.open(BytesIO(book.read("EPUB/cover.jpg"))).convert("RGB")
        assert cover.size == card.COVER_SIZE
        assert _close(cover.getpixel((600, 500)), RED)  # type: ignore[arg-type]
        assert "EPUB/cover.png" not in names


def test_epubcheck_accepts_a_book_of_pictures(
    client: TestClient, app: FastAPI, engine: Engine, tmp_path: Path
) -> None:
    command = _epubcheck()
    anthology, _ = _image_book(client, app, engine)
    path = tmp_path / "pictures.epub"
    path.write_bytes(_epub(client, anthology["id"]))
    result = subprocess.run(
        [*command, str(path)], capture_output=True, text=True, timeout=300, check=False
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "ERROR" not in report and "FATAL" not in report, report
    assert "WARNING" not in report, report


def test_an_anthology_of_pictures_is_a_gallery_in_one_request(
    client: TestClient, app: FastAPI, engine: Engine
) -> None:
    anthology, works = _image_book(client, app, engine)
    # Anonymous, as a visitor to the exhibition.
    response = client.get(f"{ANTHOLOGIES}/{anthology['id']}")
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["submission_id"] for item in items] == [w["id"] for w in works]
    first, plain, last = items
    assert first["editor_note"] == "Curator: look at Story 0"
    assert [m["alt_text"] for m in first["media"]] == ['Red <field> & "sky"', None]
    assert [(m["width"], m["height"]) for m in first["media"]] == [(900, 600), (400, 900)]
    picture = first["media"][0]
    assert picture["kind"] == "image" and picture["status"] == "ready"
    assert picture["url"] == f"/api/v1/media/{picture['id']}/content"
    medium = picture["variants"]["medium"]
    assert medium["url"] == f"/api/v1/media/{picture['id']}/content?variant=medium"
    assert (medium["width"], medium["height"]) == (900, 600)  # never upscaled
    assert plain["media"] == []
    assert len(last["media"]) == 1
    assert "description" in first


def test_a_gallery_page_takes_the_same_queries_for_any_number_of_works(
    client: TestClient, app: FastAPI, engine: Engine, queries: QueryCounter
) -> None:
    settings = app.state.settings
    headers = organizer(app)
    _, works, _ = closed_challenge(client, app, headers, [0] * 8, discipline="photography")
    for n, work in enumerate(works):
        for shade in range(1 + n % 3):
            attach_image(engine, settings, work["id"], solid((n * 30, shade * 80, 100), (60, 40)))
    small = create(client, headers, submission_ids=[w["id"] for w in works[:2]])
    large = create(client, headers, submission_ids=[w["id"] for w in works])

    def count(anthology: dict[str, Any]) -> int:
        queries.reset()
        body = client.get(f"{ANTHOLOGIES}/{anthology['id']}", headers=headers).json()
        assert sum(len(item["media"]) for item in body["items"]) > 0
        return queries.count

    assert count(small) == count(large)


def test_uploads_reach_the_card_the_book_and_the_gallery_on_each_storage(
    media_client: TestClient,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    """End to end through the API: authors upload (POST /media), the processing job makes
    the variants, the works take them (`media_ids`); on the file back end and on S3 (read
    through a fetched copy) the card, the book and the gallery show them."""
    client = media_client
    app = client.app
    assert isinstance(app, FastAPI)
    headers = organizer(app)
    challenge, works, authors = closed_challenge(
        client, app, headers, [0, 0], phase="open", discipline="photography", winners_count=2
    )
    uploaded = []
    for n, (colour, author) in enumerate(zip((RED, BLUE), authors, strict=True)):
        path = tmp_path / f"picture-{n}.png"
        solid(colour, (1000, 700)).save(path, format="PNG")
        response = upload(client, author, path, alt_text=f"Picture {n}")
        assert response.status_code == 201, response.text
        uploaded.append(response.json()["id"])
    assert process(app) == 2
    for work, author, media_id in zip(works, authors, uploaded, strict=True):
        changed = client.patch(
            f"{SUBMISSIONS}/{work['id']}", json={"media_ids": [media_id]}, headers=author
        )
        assert changed.status_code == 200, changed.text
    move_to(client, headers, challenge["id"], "voting")
    move_to(client, headers, challenge["id"], "closed")
    image, _ = _card(client, works[0]["id"])
    assert _close(image.getpixel((540, 270)), RED)  # type: ignore[arg-type]
    anthology = create(
        client, headers, title="Two colours", submission_ids=[w["id"] for w in works]
    )
    gallery = client.get(f"{ANTHOLOGIES}/{anthology['id']}", headers=headers).json()
    shown = [[(m["id"], m["alt_text"]) for m in item["media"]] for item in gallery["items"]]
    assert shown == [[(uploaded[0], "Picture 0")], [(uploaded[1], "Picture 1")]]
    response = client.get(f"{ANTHOLOGIES}/{anthology['id']}.epub", headers=headers)
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(BytesIO(response.content)) as book:
        for name, colour in (("work-001-1", RED), ("work-002-1", BLUE)):
            picture = Image.open(BytesIO(book.read(f"EPUB/images/{name}.jpg"))).convert("RGB")
            assert _close(picture.getpixel((500, 350)), colour), name  # type: ignore[arg-type]
        assert 'alt="Picture 1"' in book.read("EPUB/work-002.xhtml").decode()
