from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import SQLModel

from app.core import domain_events
from app.models import Role
from tests.conversation.helpers import comment, propose, reply, start_thread, work
from tests.factories import PASSWORD, auth_headers, make_member
from tests.webhooks.conftest import (
    make_webhook,
    public_dns,  # noqa: F401 - a fixture: hosts resolve
)

PERSONAL: dict[str, Any] = {
    "handle": "Sekar_Ayu",
    "email": "sekar.ayu@example.com",
    "display_name": "Sekar Ayu Lestari",
    "bio": "Batik painter from Pekalongan-Lasem",
    "city": "Pekalongan",
    "links": ["https://sekar-ayu.example.org/portfolio"],
}
# Every value that must be gone from every table (compared ignoring case).
NEEDLES = [
    "sekar_ayu",
    "sekar.ayu@example.com",
    "sekar ayu lestari",
    "pekalongan",
    "sekar-ayu.example.org",
]


def text_found(engine: Engine, needles: list[str]) -> list[str]:
    """Every text or JSON cell of every table that contains one of the needles."""
    found = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            columns = [
                c
                for c in table.columns
                if isinstance(c.type, (sa.String, sa.Text, sa.JSON))
                or "CHAR" in str(c.type).upper()
                or "JSON" in str(c.type).upper()
            ]
            if not columns:
                continue
            for row in connection.execute(sa.select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    text = (json.dumps(value) if not isinstance(value, str) else value).lower()
                    found += [f"{table.name}.{column.name}: {n}" for n in needles if n in text]
    return found


def leave(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post(
        "/api/v1/members/me/deletion",
        json={"password": PASSWORD, "delete_works": False, **body},
        headers=headers,
    )


def a_member_with_a_life(
    app: FastAPI, client: TestClient
) -> tuple[Any, dict[str, str], dict[str, Any]]:
    # Told of each new member: a notification naming them, a webhook payload too.
    make_member(app, role=Role.ORGANIZER)
    make_webhook(
        app,
        app.state.settings,
        make_member(app, role=Role.ADMIN),
        url="https://hooks.example.com/in",
        events=["member.joined", "submission.created", "idea.created"],
    )
    member = make_member(
        app,
        handle=PERSONAL["handle"],
        email=PERSONAL["email"],
        display_name=PERSONAL["display_name"],
        bio=PERSONAL["bio"],
        city=PERSONAL["city"],
        links=PERSONAL["links"],
    )
    headers = auth_headers(app, member)
    thread = start_thread(client, headers)
    assert reply(client, thread["id"], headers).status_code == 201
    propose(client, headers)
    submission = work(app, client, headers)
    # Someone else's work, commented on: its author is notified, naming the commenter.
    other_work = work(app, client, auth_headers(app, make_member(app)))
    assert comment(client, other_work["id"], headers).status_code == 201
    created = client.post(
        "/api/v1/members/me/tokens", json={"name": "ci", "scopes": ["read"]}, headers=headers
    )
    assert created.status_code == 201
    client.post("/api/v1/auth/password-reset", json={"email": PERSONAL["email"]})
    # A log-in from a phone whose user agent carries the member's name.
    logged_in = client.post(
        "/api/v1/auth/token",
        data={"username": PERSONAL["handle"], "password": PASSWORD},
        headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14; Sekar_Ayu phone) Chrome/131.0"},
    )
    assert logged_in.status_code == 200, logged_in.text
    return member, headers, submission


@pytest.mark.usefixtures("public_dns")
def test_leaving_erases_every_personal_value_and_keeps_works_as_a_former_members(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    published: list[domain_events.DomainEvent],
) -> None:
    member, headers, submission = a_member_with_a_life(app, client)
    before = text_found(engine, NEEDLES)  # the search sees them before
    assert any(f.startswith("webhook_events.") for f in before), before
    assert "auth_sessions.user_agent: sekar_ayu" in before, before
    response = leave(client, headers)
    assert response.status_code == 204, response.text
    found = text_found(engine, NEEDLES)
    assert found == [], "\n".join(found)
    assert domain_events.MemberErased(member_id=member.id) in published
    # logged out for good, and nowhere in the API
    assert client.get("/api/v1/members/me", headers=headers).status_code == 401
    viewer = auth_headers(app, make_member(app))
    assert client.get(f"/api/v1/members/{member.id}", headers=viewer).status_code == 404
    for term in ("Sekar", "Pekalongan"):
        hits = client.get("/api/v1/search", params={"q": term}, headers=viewer)
        assert hits.status_code == 200 and hits.json()["items"] == [], hits.text
    for username in (PERSONAL["email"], PERSONAL["handle"], f"former-{member.id}"):
        log_in = client.post(
            "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
        )
        assert log_in.status_code == 401
    # the work stays
    kept = client.get(f"/api/v1/submissions/{submission['id']}", headers=viewer)
    assert kept.status_code == 200, kept.text
    assert PERSONAL["display_name"] not in kept.text


@pytest.mark.usefixtures("public_dns")
def test_leaving_with_works_removes_them(app: FastAPI, client: TestClient, engine: Engine) -> None:
    _, headers, submission = a_member_with_a_life(app, client)
    assert leave(client, headers, delete_works=True).status_code == 204
    viewer = auth_headers(app, make_member(app))
    assert client.get(f"/api/v1/submissions/{submission['id']}", headers=viewer).status_code == 404
    assert text_found(engine, NEEDLES) == []


def test_a_wrong_password_or_the_last_admin_cannot_leave(app: FastAPI, client: TestClient) -> None:
    admin = make_member(app, role=Role.ADMIN)
    headers = auth_headers(app, admin)
    wrong = leave(client, headers, password="not it at all")
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_password"
    last = leave(client, headers)
    assert last.status_code == 409 and last.json()["code"] == "last_admin"
    assert client.get("/api/v1/members/me", headers=headers).status_code == 200
    make_member(app, role=Role.ADMIN)
    assert leave(client, headers).status_code == 204
