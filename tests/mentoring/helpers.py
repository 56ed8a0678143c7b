from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from app.models import Member

MENTORS = "/api/v1/mentors"
MENTORSHIPS = "/api/v1/mentorships"


def request_mentorship(
    client: TestClient, mentor: Member, headers: dict[str, str], goal: str = "Build a portfolio"
) -> dict[str, Any]:
    response = client.post(
        MENTORSHIPS, json={"mentor_id": mentor.id, "goal": goal}, headers=headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def answer(
    client: TestClient, mentorship_id: int, headers: dict[str, str], status: str
) -> dict[str, Any]:
    response = client.patch(
        f"{MENTORSHIPS}/{mentorship_id}", json={"status": status}, headers=headers
    )
    assert response.status_code == 200, response.text
    answered: dict[str, Any] = response.json()
    return answered


def notification_types(client: TestClient, headers: dict[str, str]) -> list[str]:
    items = client.get("/api/v1/notifications", headers=headers).json()["items"]
    return [item["type"] for item in items]
