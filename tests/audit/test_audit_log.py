"""The audit log: one entry per privileged action, in the action's transaction, append-only."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.audit import service as audit
from app.models import Member, Role
from app.webhooks import safety
from tests.challenges.helpers import CHALLENGES, create_challenge, dates, submit
from tests.conversation.helpers import created, report, start_thread
from tests.factories import member_with_headers

API = "/api/v1"
Headers = dict[str, str]


@pytest.fixture
def admin(app: FastAPI) -> tuple[Member, Headers]:
    return member_with_headers(app, role=Role.ADMIN)


def _entries(client: TestClient, headers: Headers, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"{API}/audit-log", params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _only_entry(client: TestClient, headers: Headers) -> dict[str, Any]:
    entries = _entries(client, headers)
    assert len(entries) == 1, entries
    return entries[0]


def test_a_role_change_writes_one_entry_with_before_after_and_request_id(
    client: TestClient, app: FastAPI, admin: tuple[Member, Headers]
) -> None:
    actor, headers = admin
    target, _ = member_with_headers(app)
    response = client.patch(
        f"{API}/members/{target.id}",
        json={"role": "organizer"},
        headers={**headers, "X-Request-ID": "audit-test-1"},
    )
    assert response.status_code == 200, response.text
    entry = _only_entry(client, headers)
    assert entry["action"] == "member.role_changed"
    assert (entry["actor_id"], entry["target_type"], entry["target_id"]) == (
        actor.id,
        "member",
        target.id,
    )
    assert entry["changes"] == {"role": {"before": "member", "after": "organizer"}}
    assert entry["request_id"] == "audit-test-1"
    assert entry["created_at"]


def test_deactivation_and_reactivation_write_one_entry_each(
    client: TestClient, app: FastAPI, admin: tuple[Member, Headers]
) -> None:
    _, headers = admin
    target, _ = member_with_headers(app)
    for active in (False, True):
        response = client.patch(
            f"{API}/members/{target.id}", json={"is_active": active}, headers=headers
        )
        assert response.status_code == 200, response.text
    actions = [e["action"] for e in _entries(client, headers)]
    assert actions == ["member.reactivated", "member.deactivated"]  # newest first


def test_a_change_that_changes_nothing_writes_no_entry(
    client: TestClient, app: FastAPI, admin: tuple[Member, Headers]
) -> None:
    _, headers = admin
    target, _ = member_with_headers(app)
    response = client.patch(f"{API}/members/{target.id}", json={"role": "member"}, headers=headers)
    assert response.status_code == 200
    assert _entries(client, headers) == []


def test_a_refused_action_leaves_no_entry(
    client: TestClient, admin: tuple[Member, Headers]
) -> None:
    """Demoting the last admin is refused after the role was set in the session: the request
    rolls back, and the entry with it."""
    actor, headers = admin
    response = client.patch(f"{API}/members/{actor.id}", json={"role": "member"}, headers=headers)
    assert response.status_code == 409
    assert _entries(client, headers) == []


def test_an_entry_is_rolled_back_with_its_transaction(
    app: FastAPI, engine: Engine, admin: tuple[Member, Headers], client: TestClient
) -> None:
    actor, headers = admin
    with Session(engine) as session:
        audit.record(
            session,
            actor=actor,
            action="member.role_changed",
            target_type="member",
            target_id=actor.id or 0,
        )
        session.rollback()
    assert _entries(client, headers) == []


def test_report_decisions_are_logged(
    client: TestClient, app: FastAPI, admin: tuple[Member, Headers]
) -> None:
    _actor, headers = admin
    _, member = member_with_headers(app)
    thread = start_thread(client, member)
    case = created(report(client, member, "thread", thread["id"]))
    decided = client.patch(
        f"{API}/reports/{case['id']}",
        json={"status": "resolved", "hide_target": True, "note": "Spam."},
        headers=headers,
    )
    assert decided.status_code == 200, decided.text
    entry = _only_entry(client, headers)
    assert (entry["action"], entry["target_type"], entry["target_id"]) == (
        "report.resolved",
        "report",
        case["id"],
    )
    assert entry["changes"]["status"] == {"before": "open", "after": "resolved"}
    assert entry["changes"]["target_hidden_at"]["before"] is None
    assert entry["changes"]["target_hidden_at"]["after"] is not None


def test_submission_moderation_is_logged(
    client: TestClient, app: FastAPI, admin: tuple[Member, Headers]
) -> None:
    _actor, headers = admin
    _, author = member_with_headers(app)
    challenge = create_challenge(client, headers)
    work = submit(client, challenge["id"], author)
    moderated = client.post(
        f"{API}/submissions/{work['id']}/moderation",
        json={"action": "disqualify", "reason": "Not the author's."},
        headers=headers,
    )
    assert moderated.status_code == 200, moderated.text
    entry = _only_entry(client, headers)
    assert (entry["action"], entry["target_id"]) == ("submission.disqualified", work["id"])
    assert entry["changes"]["disqualified"] == {"before": False, "after": True}
    # Repeating the action changes nothing, and logs nothing.
    client.post(
        f"{API}/submissions/{work['id']}/moderation",
        json={"action": "disqualify", "reason": "Not the author's."},
        headers=headers,
    )
    assert len(_entries(client, headers)) == 1


def test_moving_challenge_dates_is_logged_and_other_edits_are_not(
    client: TestClient, admin: tuple[Member, Headers]
) -> None:
    _, headers = admin
    challenge = create_challenge(client, headers)
    retitled = client.patch(
        f"{CHALLENGES}/{challenge['id']}", json={"title": "Evening light"}, headers=headers
    )
    assert retitled.status_code == 200
    assert _entries(client, headers) == []
    moved = client.patch(f"{CHALLENGES}/{challenge['id']}", json=dates("voting"), headers=headers)
    assert moved.status_code == 200, moved.text
    entry = _only_entry(client, headers)
    assert (entry["action"], entry["target_id"]) == ("challenge.dates_moved", challenge["id"])
    assert set(entry["changes"]) == {
        "submissions_open_at",
        "submissions_close_at",
        "voting_close_at",
    }


def test_webhook_create_update_delete_are_logged_without_the_secret(
    client: TestClient, admin: tuple[Member, Headers], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(safety, "resolve", lambda *_: [ipaddress.ip_address("93.184.216.34")])
    _, headers = admin
    body = {"url": "https://bot.example.org/a", "events": ["member.joined"], "secret": "s" * 20}
    webhook = client.post(f"{API}/webhooks", json=body, headers=headers).json()
    assert _only_entry(client, headers)["action"] == "webhook.created"
    patch = {"events": ["idea.created"], "secret": "t" * 20}
    assert client.patch(f"{API}/webhooks/{webhook['id']}", json=patch, headers=headers).is_success
    assert client.delete(f"{API}/webhooks/{webhook['id']}", headers=headers).status_code == 204
    entries = _entries(client, headers, target_type="webhook", target_id=webhook["id"])
    assert [e["action"] for e in entries] == [
        "webhook.deleted",
        "webhook.updated",
        "webhook.created",
    ]
    assert entries[1]["changes"]["events"] == {
        "before": ["member.joined"],
        "after": ["idea.created"],
    }
    assert "s" * 20 not in str(entries) and "t" * 20 not in str(entries)


def test_invitations_and_admin_tokens_are_logged(
    client: TestClient, admin: tuple[Member, Headers]
) -> None:
    actor, headers = admin
    assert client.post(f"{API}/invitations", headers=headers).status_code == 201
    token = client.post(
        f"{API}/members/me/tokens", json={"name": "bot", "scopes": ["read"]}, headers=headers
    ).json()
    assert (
        client.delete(f"{API}/members/me/tokens/{token['id']}", headers=headers).status_code == 204
    )
    actions = [e["action"] for e in _entries(client, headers, actor_id=actor.id)]
    assert actions == ["token.deleted", "token.created", "invitation.created"]


def test_filters_and_keyset_pages(
    client: TestClient, app: FastAPI, admin: tuple[Member, Headers]
) -> None:
    _, headers = admin
    targets = [member_with_headers(app)[0] for _ in range(3)]
    for target in targets:
        client.patch(f"{API}/members/{target.id}", json={"role": "organizer"}, headers=headers)
    client.patch(f"{API}/members/{targets[0].id}", json={"is_active": False}, headers=headers)
    first = client.get(f"{API}/audit-log", params={"limit": 2}, headers=headers).json()
    second = client.get(
        f"{API}/audit-log", params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers
    ).json()
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert len(ids) == 4 and ids == sorted(ids, reverse=True) and second["next_cursor"] is None
    assert len(_entries(client, headers, action="member.role_changed")) == 3
    assert len(_entries(client, headers, target_type="member", target_id=targets[0].id)) == 2
    bad = client.get(f"{API}/audit-log", params={"action": "member.eaten"}, headers=headers)
    assert bad.status_code == 422


def test_only_admins_read_the_audit_log(client: TestClient, app: FastAPI) -> None:
    assert client.get(f"{API}/audit-log").status_code == 401
    for role in (Role.MEMBER, Role.ORGANIZER):
        _, headers = member_with_headers(app, role=role)
        response = client.get(f"{API}/audit-log", headers=headers)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"]
)
def test_the_database_refuses_to_change_entries(
    engine: Engine, admin: tuple[Member, Headers], statement: str
) -> None:
    actor, _ = admin
    with Session(engine) as session:
        audit.record(
            session,
            actor=actor,
            action="member.role_changed",
            target_type="member",
            target_id=actor.id or 0,
        )
        session.commit()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(sa.text(statement))
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT action FROM audit_log")).scalars().all() == [
            "member.role_changed"
        ]
