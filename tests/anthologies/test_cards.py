"""Share cards: a 1080×1080 PNG for winning and featured works of closed challenges."""

from __future__ import annotations

from io import BytesIO

from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from app.anthologies import card
from app.anthologies.service import ordinal
from tests.anthologies.helpers import closed_challenge, disqualify
from tests.challenges.helpers import SUBMISSIONS, organizer


def _card(client: TestClient, submission_id: int) -> tuple[Image.Image, dict[str, str]]:
    response = client.get(f"{SUBMISSIONS}/{submission_id}/card.png")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    return Image.open(BytesIO(response.content)), dict(response.headers)


def test_a_winner_gets_a_square_png_with_an_etag(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    _, works, _ = closed_challenge(client, app, headers, [2, 1, 0], winners_count=2)
    image, response_headers = _card(client, works[0]["id"])
    assert image.format == "PNG"
    assert image.size == (1080, 1080)
    assert response_headers["cache-control"].startswith("public, max-age=")
    etag = response_headers["etag"]
    url = f"{SUBMISSIONS}/{works[0]['id']}/card.png"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    _, second_headers = _card(client, works[1]["id"])
    assert second_headers["etag"] != etag


def test_only_winning_or_featured_works_of_closed_challenges_have_cards(
    client: TestClient, app: FastAPI
) -> None:
    headers = organizer(app)
    _, works, _ = closed_challenge(client, app, headers, [3, 2, 1, 0], winners_count=1)
    feature = {"action": "feature"}
    moderation = f"{SUBMISSIONS}/{works[2]['id']}/moderation"
    assert client.post(moderation, json=feature, headers=headers).status_code == 200
    disqualify(client, headers, works[1]["id"])
    assert _card(client, works[2]["id"])[0].size == (1080, 1080)  # featured
    for work in (works[1], works[3]):  # disqualified; neither winner nor featured
        response = client.get(f"{SUBMISSIONS}/{work['id']}/card.png")
        assert response.status_code == 404
        assert response.json()["code"] == "share_card_not_found"
    assert client.get(f"{SUBMISSIONS}/999999/card.png").status_code == 404
    _, running, _ = closed_challenge(client, app, headers, [1], phase="voting")
    assert client.get(f"{SUBMISSIONS}/{running[0]['id']}/card.png").status_code == 404


def test_the_card_says_the_place_and_changes_with_its_text() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
    ]
    text = card.CardText(
        title="Hujan di Braga",
        handle="rina_w",
        challenge_title="Rain",
        label="1st place",
        community="Sanggar",
        winner=True,
    )
    first = card.share_card(text)
    assert card.share_card(text) == first  # deterministic: the ETag may come from the text
    retitled = card.CardText(**{**text.__dict__, "title": "Hujan di Dago"})
    assert card.share_card(retitled) != first


def test_long_titles_are_wrapped_and_shrunk_to_fit() -> None:
    draw = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    title = "Sebuah cerita yang sangat panjang tentang kota " * 12 + "Supercalifragilistic" * 5
    font, lines = card.fit(
        draw, title, path=card.BOLD, width=900, height=480, sizes=range(104, 43, -6)
    )
    assert font.size == 44
    assert lines[-1].endswith("…")
    assert len(lines) * int(44 * 1.2) <= 480
    assert all(draw.textlength(line, font=font) <= 900 for line in lines)
    short_font, short = card.fit(
        draw, "Pagi", path=card.BOLD, width=900, height=480, sizes=range(104, 43, -6)
    )
    assert short_font.size == 104 and short == ["Pagi"]
