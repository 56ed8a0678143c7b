"""The features built apart meet through domain events: what one does, the others hear.

Conversation publishes what members write, recognition turns contributions into points and
badges, webhooks carry announcements, ideas and badges out. Each of those was tested in its
own package by publishing the events by hand; here the real requests cause them.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.models import Member, Role, WebhookEvent
from app.webhooks.payloads import EVENT_TYPES, PAYLOADS
from tests.challenges.helpers import create_challenge, organizer, submit
from tests.conftest import make_settings
from tests.factories import member_with_headers
from tests.webhooks.conftest import make_webhook

Headers = dict[str, str]


@pytest.fixture
def hooked(app: FastAPI, database_url: str, engine: Engine) -> None:
    """A webhook subscribed to every event type (never dispatched here)."""
    settings: Settings = make_settings(database_url, webhooks_allow_private=True)
    admin, _ = member_with_headers(app, role=Role.ADMIN)
    make_webhook(app, settings, admin, url="http://127.0.0.1:9/", events=list(EVENT_TYPES))


def _payloads(engine: Engine, event_type: str) -> list[dict[str, Any]]:
    with Session(engine) as session:
        rows = session.exec(
            select(WebhookEvent)
            .where(WebhookEvent.type == event_type)
            .order_by(col(WebhookEvent.id))
        ).all()
    for row in rows:
        PAYLOADS[row.type].model.model_validate(row.data)
    return [row.data for row in rows]


def _points(client: TestClient, member: Member) -> int:
    points: int = client.get(f"/api/v1/members/{member.id}").json()["points"]
    return points


def _badge_codes(client: TestClient, member: Member) -> list[str | None]:
    response = client.get(f"/api/v1/members/{member.id}/badges")
    assert response.status_code == 200, response.text
    return [badge["code"] for badge in response.json()["items"]]


def test_an_announcement_reaches_feeds_and_webhooks(
    client: TestClient, app: FastAPI, engine: Engine, hooked: None
) -> None:
    staff = organizer(app)
    _, reader = member_with_headers(app)
    body = {"title": "Pameran akhir tahun", "body": "Kirim karyamu!", "pinned": True}
    response = client.post("/api/v1/announcements", json=body, headers=staff)
    assert response.status_code == 201, response.text

    [payload] = _payloads(engine, "announcement.published")
    assert payload["announcement_id"] == response.json()["id"] and payload["pinned"] is True
    feed = client.get("/api/v1/notifications", headers=reader).json()["items"]
    assert "Pameran akhir tahun" in [item["title"] for item in feed]


def test_an_idea_earns_points_and_reaches_webhooks(
    client: TestClient, app: FastAPI, engine: Engine, hooked: None
) -> None:
    proposer, headers = member_with_headers(app)
    response = client.post(
        "/api/v1/ideas", json={"title": "Zine swap", "body": "Every month."}, headers=headers
    )
    assert response.status_code == 201, response.text

    assert _points(client, proposer) == 3
    [payload] = _payloads(engine, "idea.created")
    assert payload["idea_id"] == response.json()["id"] and payload["title"] == "Zine swap"


def test_a_first_work_and_feedback_earn_points_and_a_badge(
    client: TestClient, app: FastAPI, engine: Engine, hooked: None
) -> None:
    challenge = create_challenge(client, organizer(app), "open")
    author, author_headers = member_with_headers(app)
    critic, critic_headers = member_with_headers(app)
    work = submit(client, challenge["id"], author_headers, title="Hujan di Bandung")
    response = client.post(
        f"/api/v1/submissions/{work['id']}/comments",
        json={"body": "The light on the wet street is lovely."},
        headers=critic_headers,
    )
    assert response.status_code == 201, response.text

    assert (_points(client, author), _points(client, critic)) == (10, 2)
    assert _badge_codes(client, author) == ["first_submission"]
    awarded = _payloads(engine, "badge.awarded")
    assert [(p["member_id"], p["kind"], p["code"]) for p in awarded] == [
        (author.id, "automatic", "first_submission")
    ]
    # The comment is the author's first feedback, and they heard of it.
    types = [
        n["type"]
        for n in client.get("/api/v1/notifications", headers=author_headers).json()["items"]
    ]
    assert "comment.created" in types


def test_an_award_is_a_badge_and_a_webhook_event(
    client: TestClient, app: FastAPI, engine: Engine, hooked: None
) -> None:
    member, _ = member_with_headers(app)
    response = client.post(
        f"/api/v1/members/{member.id}/awards",
        json={"title": "Most creative member, November"},
        headers=organizer(app),
    )
    assert response.status_code == 201, response.text

    assert _badge_codes(client, member) == [None]
    [payload] = _payloads(engine, "badge.awarded")
    assert (payload["member_id"], payload["kind"]) == (member.id, "award")
