"""Deactivation ends a member's every log-in and token for good: reactivated, they start with
none (before, the old access, refresh and personal tokens came back to life with them)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.models import AuthSession, CalendarFeedToken, Member, PersonalAccessToken, Role
from tests.factories import auth_headers, make_member, tokens_for

ME = "/api/v1/members/me"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _set_active(client: TestClient, admin: dict[str, str], member: Member, active: bool) -> None:
    path = f"/api/v1/members/{member.id}"
    response = client.patch(path, json={"is_active": active}, headers=admin)
    assert response.status_code == 200, response.text


def _credentials(client: TestClient, app: FastAPI, member: Member) -> dict[str, Any]:
    pair = tokens_for(app, member)
    headers = _bearer(pair["access_token"])
    body = {"name": "bot", "scopes": ["write"]}
    personal = client.post(f"{ME}/tokens", json=body, headers=headers).json()["token"]
    feed = client.post(f"{ME}/calendar-token", headers=headers).json()["token"]
    for token in (pair["access_token"], personal):
        assert client.get(ME, headers=_bearer(token)).status_code == 200
    return {**pair, "personal": personal, "feed": feed}


def test_a_reactivated_member_s_old_tokens_stay_dead(
    client: TestClient, app: FastAPI, engine: Engine
) -> None:
    admin = auth_headers(app, make_member(app, role=Role.ADMIN))
    member = make_member(app)
    old = _credentials(client, app, member)

    _set_active(client, admin, member, False)
    _set_active(client, admin, member, True)

    assert client.get(ME, headers=_bearer(old["access_token"])).status_code == 401
    assert client.get(ME, headers=_bearer(old["personal"])).status_code == 401
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": old["refresh_token"]})
    assert refreshed.status_code == 401
    feed = client.get(f"{ME}/calendar.ics", params={"token": old["feed"]})
    assert feed.status_code in (401, 404)
    with Session(engine) as session:
        sessions = session.exec(select(AuthSession).where(AuthSession.member_id == member.id))
        assert all(row.revoked_at is not None for row in sessions)
        for table in (PersonalAccessToken, CalendarFeedToken):
            assert session.exec(select(table).where(col(table.member_id) == member.id)).all() == []
    # A new log-in works as for anyone.
    assert client.get(ME, headers=auth_headers(app, member)).status_code == 200


def test_deactivation_leaves_other_members_logged_in(client: TestClient, app: FastAPI) -> None:
    admin = auth_headers(app, make_member(app, role=Role.ADMIN))
    member, other = make_member(app), make_member(app)
    other_tokens = _credentials(client, app, other)
    _credentials(client, app, member)

    _set_active(client, admin, member, False)

    for token in (other_tokens["access_token"], other_tokens["personal"]):
        assert client.get(ME, headers=_bearer(token)).status_code == 200


def test_a_log_in_that_raced_the_deactivation_ends_at_reactivation(
    client: TestClient, app: FastAPI, engine: Engine
) -> None:
    """A log-in that read the member still active may land just after the deactivation
    ended the others; the reactivation ends it as well."""
    admin = auth_headers(app, make_member(app, role=Role.ADMIN))
    member = make_member(app)
    _set_active(client, admin, member, False)
    raced = tokens_for(app, member)  # written behind the deactivation's back

    _set_active(client, admin, member, True)

    assert client.get(ME, headers=_bearer(raced["access_token"])).status_code == 401
