"""The admin API: bridges with write-only secrets, target rules, the test message, the log."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.chat_bridges import crypto
from app.core.config import Settings
from app.models import ChatBridge, Member, Role, WebhookDelivery
from tests.chat_bridges.conftest import BOT_TOKEN, DISCORD_URL, MATRIX_TOKEN, SLACK_URL, TARGETS
from tests.conftest import make_settings
from tests.factories import auth_headers, member_with_headers

BRIDGES = "/api/v1/chat-bridges"

pytestmark = pytest.mark.usefixtures("public_dns")


@pytest.fixture
def headers(app: FastAPI, admin: Member) -> dict[str, str]:
    return auth_headers(app, admin)


def create(
    client: TestClient, headers: dict[str, str], kind: str = "telegram", **overrides: Any
) -> dict[str, Any]:
    body = {
        "kind": kind,
        "name": "Grup komunitas",
        "target": TARGETS[kind],
        "events": ["challenge.opened", "event.published"],
        **overrides,
    }
    response = client.post(BRIDGES, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


SECRETS = {
    "discord": DISCORD_URL,
    "slack": SLACK_URL,
    "telegram": BOT_TOKEN,
    "matrix": MATRIX_TOKEN,
}


@pytest.mark.parametrize("kind", list(TARGETS))
def test_an_admin_connects_a_bridge_and_never_sees_its_secret_again(
    client: TestClient, headers: dict[str, str], kind: str
) -> None:
    response = client.post(
        BRIDGES,
        json={"kind": kind, "name": "Chat", "target": TARGETS[kind], "events": ["idea.created"]},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"{BRIDGES}/{created['id']}"
    assert created["locale"] == "id" and created["active"] is True
    assert created["target"]["secret_hint"] == "…Xk3f"
    expected = {"chat_id": None, "homeserver": None, "room_id": None, "secret_hint": "…Xk3f"}
    if kind == "telegram":
        expected["chat_id"] = "-1001234567890"
    if kind == "matrix":
        expected |= {"homeserver": "https://matrix.example.org", "room_id": "!AbCdEf:example.org"}
    assert created["target"] == expected
    secret = SECRETS[kind]
    for text in (
        response.text,
        client.get(response.headers["location"], headers=headers).text,
        client.get(BRIDGES, headers=headers).text,
    ):
        assert secret not in text
    audit = client.get("/api/v1/audit-log", headers=headers)
    assert audit.status_code == 200 and "chat_bridge.created" in audit.text
    assert secret not in audit.text


def test_the_stored_secret_is_encrypted_and_decrypts_back(
    client: TestClient, headers: dict[str, str], engine: Engine, settings: Settings
) -> None:
    created = create(client, headers, "telegram")
    with Session(engine) as session:
        bridge = session.get(ChatBridge, created["id"])
        assert bridge is not None
        stored = bridge.secret_ciphertext
        row = session.execute(sa.text("SELECT * FROM chat_bridges")).one()
    assert BOT_TOKEN.encode() not in stored
    assert all(BOT_TOKEN not in str(value) for value in row)
    assert crypto.decrypt(settings, stored) == BOT_TOKEN
    other = make_settings(settings.database_url, secret_key="another-key-" + "y" * 40)
    with pytest.raises(crypto.SecretUnreadable):
        crypto.decrypt(other, stored)
    assert crypto.encrypt(settings, BOT_TOKEN) != stored  # a fresh IV each time


@pytest.mark.parametrize(
    ("kind", "target", "field"),
    [
        ("discord", {"webhook_url": "https://evil.example/api/webhooks/1/x"}, "webhook_url"),
        ("discord", {"webhook_url": "https://discord.com/channels/1/2"}, "webhook_url"),
        ("discord", {"webhook_url": "http://discord.com/api/webhooks/1/x"}, "webhook_url"),
        (
            "discord",
            {"webhook_url": "https://discord.com.evil.example/api/webhooks/1/x"},
            "webhook_url",
        ),
        ("discord", {"webhook_url": "https://discord.com:8443/api/webhooks/1/x"}, "webhook_url"),
        (
            "slack",
            {"webhook_url": "https://hooks.slack.com.evil.example/services/x"},
            "webhook_url",
        ),
        ("slack", {"webhook_url": "https://user@hooks.slack.com/services/x"}, "webhook_url"),
        ("matrix", {**TARGETS["matrix"], "homeserver": "http://127.0.0.1:8008"}, "homeserver"),
        ("matrix", {**TARGETS["matrix"], "homeserver": "http://10.1.2.3"}, "homeserver"),
    ],
)
def test_targets_off_the_platforms_hosts_are_refused(
    client: TestClient, headers: dict[str, str], kind: str, target: dict[str, str], field: str
) -> None:
    body = {"kind": kind, "name": "Chat", "target": target, "events": ["idea.created"]}
    response = client.post(BRIDGES, json=body, headers=headers)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "chat_bridge_target_not_allowed"
    assert problem["errors"][0]["loc"] == ["body", "target", field]
    assert client.get(BRIDGES, headers=headers).json()["items"] == []


@pytest.mark.parametrize(
    ("kind", "target", "field"),
    [
        ("telegram", {"bot_token": BOT_TOKEN}, "chat_id"),
        ("telegram", {"bot_token": "not a token", "chat_id": "-100"}, "bot_token"),
        ("telegram", {"bot_token": BOT_TOKEN, "chat_id": "general"}, "chat_id"),
        ("discord", {"webhook_url": DISCORD_URL, "chat_id": "1"}, "chat_id"),
        ("matrix", {**TARGETS["matrix"], "room_id": "#alias:example.org"}, "room_id"),
        ("matrix", {**TARGETS["matrix"], "homeserver": "ftp://matrix.example.org"}, "homeserver"),
        ("slack", {}, "webhook_url"),
    ],
)
def test_incomplete_or_malformed_targets_are_refused(
    client: TestClient, headers: dict[str, str], kind: str, target: dict[str, str], field: str
) -> None:
    body = {"kind": kind, "name": "Chat", "target": target, "events": ["idea.created"]}
    response = client.post(BRIDGES, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "chat_bridge_target_invalid"
    assert response.json()["errors"][0]["loc"] == ["body", "target", field]


def test_unknown_fields_kinds_and_event_types_are_refused(
    client: TestClient, headers: dict[str, str]
) -> None:
    base = {"kind": "slack", "name": "Chat", "target": TARGETS["slack"], "events": ["idea.created"]}
    for body in (
        {**base, "kind": "irc"},
        {**base, "events": ["ping"]},
        {**base, "events": []},
        {**base, "locale": "fr"},
        {**base, "secret": "x"},
        {**base, "target": {**TARGETS["slack"], "password": "x"}},
        {**base, "name": "  "},
    ):
        response = client.post(BRIDGES, json=body, headers=headers)
        assert response.status_code == 422, body


def test_only_admins_manage_bridges(
    app: FastAPI, client: TestClient, headers: dict[str, str]
) -> None:
    created = create(client, headers)
    _, organizer = member_with_headers(app, role=Role.ORGANIZER)
    assert client.get(BRIDGES, headers=organizer).status_code == 403
    assert client.get(f"{BRIDGES}/{created['id']}", headers=organizer).status_code == 403
    assert client.post(f"{BRIDGES}/{created['id']}/test", headers=organizer).status_code == 403
    assert client.get(BRIDGES).status_code == 401


def test_an_admin_edits_a_bridge(client: TestClient, headers: dict[str, str]) -> None:
    created = create(client, headers, "telegram")
    url = f"{BRIDGES}/{created['id']}"
    etag = client.get(url, headers=headers).headers["etag"]
    changed = client.patch(
        url,
        json={"locale": "en", "events": ["idea.created"], "name": "Renamed"},
        headers={**headers, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["locale"], body["events"], body["name"]) == ("en", ["idea.created"], "Renamed")
    stale = client.patch(url, json={"locale": "id"}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412

    new_target = {"bot_token": "987654:" + "z" * 30 + "New1", "chat_id": "@sanggarchat"}
    replaced = client.patch(url, json={"target": new_target}, headers=headers)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["target"]["secret_hint"] == "…New1"
    assert replaced.json()["target"]["chat_id"] == "@sanggarchat"
    partial = client.patch(url, json={"target": {"chat_id": "-1"}}, headers=headers)
    assert partial.status_code == 422
    assert client.patch(url, json={"kind": "slack"}, headers=headers).status_code == 422
    assert client.patch(url, json={"target": None}, headers=headers).status_code == 422

    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404
    assert client.get(url, headers=headers).json()["code"] == "chat_bridge_not_found"


def test_the_test_message_is_queued_and_logged(
    client: TestClient, headers: dict[str, str], engine: Engine
) -> None:
    created = create(client, headers, "matrix")
    url = f"{BRIDGES}/{created['id']}"
    response = client.post(f"{url}/test", headers=headers)
    assert response.status_code == 202, response.text
    delivery = response.json()
    assert delivery["chat_bridge_id"] == created["id"]
    assert delivery["event_type"] == "ping" and delivery["status"] == "pending"
    assert delivery["attempts"] == []
    with Session(engine) as session:
        row = session.get(WebhookDelivery, delivery["id"])
        assert row is not None and row.webhook_id is None

    for _ in range(2):
        assert client.post(f"{url}/test", headers=headers).status_code == 202
    first = client.get(f"{url}/deliveries", params={"limit": 2}, headers=headers).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(
        f"{url}/deliveries", params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers
    ).json()
    ids = [d["id"] for d in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3 and second["next_cursor"] is None
    failed = client.get(f"{url}/deliveries", params={"status": "failed"}, headers=headers)
    assert failed.json() == {"items": [], "next_cursor": None}
    assert client.get(f"{url}/deliveries", params={"limit": 0}, headers=headers).status_code == 422
    # Webhooks' logs do not show it, and a webhook's path does not reach it.
    assert (
        client.get(f"/api/v1/webhooks/{created['id']}/deliveries", headers=headers).status_code
        == 404
    )

    client.patch(url, json={"active": False}, headers=headers)
    inactive = client.post(f"{url}/test", headers=headers)
    assert inactive.status_code == 409 and inactive.json()["code"] == "chat_bridge_inactive"
    assert client.post(f"{BRIDGES}/999/test", headers=headers).status_code == 404
