"""Challenge test data, made through the HTTP API as a client would.

Phases are reached by moving a challenge's dates around now (organizers may move them at
any time), never by sleeping.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.clock import utcnow
from app.models import Role
from tests.factories import member_with_headers

CHALLENGES = "/api/v1/challenges"
SUBMISSIONS = "/api/v1/submissions"
Headers = dict[str, str]

# (opens, closes, voting closes) in days from now for each phase.
PHASE_DAYS = {
    "upcoming": (1, 2, 3),
    "open": (-1, 1, 2),
    "voting": (-2, -1, 1),
    "closed": (-3, -2, -1),
}


def dates(phase: str) -> dict[str, str]:
    now = utcnow()
    opens, closes, voting_closes = (now + timedelta(days=d) for d in PHASE_DAYS[phase])
    return {
        "submissions_open_at": opens.isoformat(),
        "submissions_close_at": closes.isoformat(),
        "voting_close_at": voting_closes.isoformat(),
    }


def challenge_body(phase: str = "open", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Weekly photo challenge",
        "theme": "Morning light",
        "description": "One photo taken before 8 a.m.",
        "discipline": "photography",
        "published": True,
        **dates(phase),
    }
    body.update(overrides)
    return body


def create_challenge(
    client: TestClient, headers: Headers, phase: str = "open", **overrides: Any
) -> dict[str, Any]:
    response = client.post(CHALLENGES, json=challenge_body(phase, **overrides), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def move_to(client: TestClient, headers: Headers, challenge_id: int, phase: str) -> dict[str, Any]:
    """The organizer moves the dates so the challenge is now in `phase`."""
    response = client.patch(f"{CHALLENGES}/{challenge_id}", json=dates(phase), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["phase"] == phase
    moved: dict[str, Any] = response.json()
    return moved


def organizer(app: FastAPI) -> Headers:
    return member_with_headers(app, role=Role.ORGANIZER)[1]


def submit(
    client: TestClient, challenge_id: int, headers: Headers, **overrides: Any
) -> dict[str, Any]:
    body = {"title": "Pasar pagi", "media_urls": ["https://img.example.com/1.jpg"], **overrides}
    response = client.post(f"{CHALLENGES}/{challenge_id}/submissions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def vote(client: TestClient, submission_id: int, headers: Headers) -> dict[str, Any]:
    response = client.put(f"{SUBMISSIONS}/{submission_id}/vote", headers=headers)
    assert response.status_code == 200, response.text
    cast: dict[str, Any] = response.json()
    return cast


def works(client: TestClient, challenge_id: int, headers: Headers | None = None) -> list[Any]:
    response = client.get(
        f"{CHALLENGES}/{challenge_id}/submissions", params={"limit": 100}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


def notification_types(client: TestClient, headers: Headers) -> list[str]:
    items = client.get("/api/v1/notifications", headers=headers).json()["items"]
    return [item["type"] for item in items]


def entrants(
    app: FastAPI, client: TestClient, challenge_id: int, count: int
) -> list[tuple[dict[str, Any], Headers]]:
    """`count` members with one work each: [(submission, author headers)]."""
    made = []
    for n in range(count):
        _, headers = member_with_headers(app)
        made.append((submit(client, challenge_id, headers, title=f"Work {n}"), headers))
    return made
