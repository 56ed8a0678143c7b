from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.models import Role
from tests.factories import member_with_headers


def test_only_organizers_invite(client: TestClient, app: FastAPI) -> None:
    _, member_headers = member_with_headers(app)
    response = client.post("/api/v1/invitations", headers=member_headers)
    assert response.status_code == 403
    assert response.json()["code"] == "role_required"
    assert client.post("/api/v1/invitations").status_code == 401


def test_invitation_is_created_listed_and_fetched(client: TestClient, app: FastAPI) -> None:
    organizer, headers = member_with_headers(app, role=Role.ORGANIZER)
    created = client.post("/api/v1/invitations", headers=headers)
    assert created.status_code == 201
    invitation = created.json()
    assert invitation["created_by_id"] == organizer.id
    assert invitation["used_at"] is None
    assert client.get(created.headers["location"], headers=headers).json() == invitation
    assert client.get("/api/v1/invitations", headers=headers).json()["items"] == [invitation]
    assert client.get("/api/v1/invitations/999", headers=headers).status_code == 404
