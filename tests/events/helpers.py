"""Event test data, created through the HTTP API as a client would."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.clock import utcnow
from app.models import Role
from tests.factories import member_with_headers

EVENTS = "/api/v1/events"


def local_time(days: int, *, hour: int = 19, tz: str = "Asia/Jakarta") -> datetime:
    """A wall-clock time `days` from today in `tz`, on the hour."""
    today = utcnow().astimezone(ZoneInfo(tz)).date() + timedelta(days=days)
    return datetime(today.year, today.month, today.day, hour, tzinfo=ZoneInfo(tz))


def event_body(**overrides: Any) -> dict[str, Any]:
    starts = local_time(14)
    body: dict[str, Any] = {
        "title": "Risograph printing workshop",
        "description": "Bring a drawing; leave with a two-colour print.",
        "kind": "workshop",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "timezone": "Asia/Jakarta",
        "venue": "Ruang Kolektif",
        "city": "Jakarta",
        "status": "published",
    }
    body.update(overrides)
    return body


def create_event(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post(EVENTS, json=event_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def organizer_headers(app: FastAPI) -> dict[str, str]:
    return member_with_headers(app, role=Role.ORGANIZER)[1]


def rsvp(
    client: TestClient, event_id: int, headers: dict[str, str], status: str = "going"
) -> dict[str, Any]:
    response = client.put(f"{EVENTS}/{event_id}/rsvp", json={"status": status}, headers=headers)
    assert response.status_code == 200, response.text
    answered: dict[str, Any] = response.json()
    return answered


def notification_types(client: TestClient, headers: dict[str, str]) -> list[str]:
    items = client.get("/api/v1/notifications", headers=headers).json()["items"]
    return [item["type"] for item in items]
