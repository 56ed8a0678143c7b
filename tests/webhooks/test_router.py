"""The admin API: registration, secrets shown once, edits, the delivery log, ping, redelivery."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import col

from app.core.clock import utcnow
from app.models import Member, Role, Webhook, WebhookAttempt, WebhookDelivery
from tests.factories import QueryCounter, auth_headers, make_member, member_with_headers

WEBHOOKS = "/api/v1/webhooks"
URL = "https://bot.example.org/sanggar"

pytestmark = pytest.mark.usefixtures("public_dns")


@pytest.fixture
def headers(app: FastAPI, admin: Member) -> dict[str, str]:
    return auth_headers(app, admin)


def register(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body = {"url": URL, "events": ["member.joined", "challenge.opened"], **overrides}
    response = client.post(WEBHOOKS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_an_admin_registers_a_webhook_and_sees_the_secret_once(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = client.post(
        WEBHOOKS, json={"url": URL, "events": ["member.joined", "member.joined"]}, headers=headers
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"{WEBHOOKS}/{created['id']}"
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["secret_hint"] == "…" + created["secret"][-4:]
    assert created["events"] == ["member.joined"]
    assert created["active"] is True and created["disabled_reason"] is None

    fetched = client.get(response.headers["location"], headers=headers)
    assert fetched.status_code == 200
    assert "secret" not in fetched.json()
    assert created["secret"] not in fetched.text
    listed = client.get(WEBHOOKS, headers=headers).json()
    assert [w["id"] for w in listed["items"]] == [created["id"]]
    assert created["secret"] not in str(listed)


def test_a_given_secret_is_used(client: TestClient, headers: dict[str, str]) -> None:
    created = register(client, headers, secret="my-own-secret-of-some-length")
    assert created["secret"] == "my-own-secret-of-some-length"


@pytest.mark.parametrize(
    "body",
    [
        {"url": URL, "events": ["member.left"]},
        {"url": URL, "events": []},
        {"url": "ftp://bot.example.org/", "events": ["member.joined"]},
        {"url": URL, "events": ["member.joined"], "secret": "short"},
        {"url": URL, "events": ["member.joined"], "owner": 1},
    ],
)
def test_invalid_registrations_are_422(
    client: TestClient, headers: dict[str, str], body: dict[str, Any]
) -> None:
    assert client.post(WEBHOOKS, json=body, headers=headers).status_code == 422


def test_only_admins_manage_webhooks(
    client: TestClient, app: FastAPI, headers: dict[str, str]
) -> None:
    created = register(client, headers)
    _, organizer = member_with_headers(app, role=Role.ORGANIZER)
    body = {"url": URL, "events": ["member.joined"]}
    for method, path in [
        ("GET", WEBHOOKS),
        ("POST", WEBHOOKS),
        ("GET", f"{WEBHOOKS}/{created['id']}"),
        ("DELETE", f"{WEBHOOKS}/{created['id']}"),
        ("POST", f"{WEBHOOKS}/{created['id']}/ping"),
        ("GET", f"{WEBHOOKS}/{created['id']}/deliveries"),
    ]:
        kwargs: dict[str, Any] = {"json": body} if method == "POST" else {}
        assert client.request(method, path, headers=organizer, **kwargs).status_code == 403
        assert client.request(method, path, **kwargs).status_code == 401


def test_edits_honour_if_match_and_replace_the_subscriptions(
    client: TestClient, headers: dict[str, str]
) -> None:
    created = register(client, headers)
    path = f"{WEBHOOKS}/{created['id']}"
    etag = client.get(path, headers=headers).headers["etag"]

    changed = client.patch(
        path, json={"events": ["idea.created"]}, headers={**headers, "If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["events"] == ["idea.created"]
    stale = client.patch(path, json={"active": False}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412
    private = client.patch(path, json={"url": "http://127.0.0.1:8000/"}, headers=headers)
    assert private.status_code == 422
    assert "SANGGAR_WEBHOOKS_ALLOW_PRIVATE=true" in private.json()["detail"]  # how to allow it
    assert client.patch(path, json={"url": None}, headers=headers).status_code == 422
    assert client.get(path, headers=headers).json()["url"] == URL


def test_reactivating_a_disabled_webhook_clears_its_failures(
    client: TestClient, headers: dict[str, str], engine: Engine
) -> None:
    created = register(client, headers)
    with engine.begin() as connection:
        connection.execute(
            sa.update(Webhook).values(
                active=False, disabled_reason="failing", consecutive_failures=5
            )
        )
    path = f"{WEBHOOKS}/{created['id']}"
    assert client.post(f"{path}/ping", headers=headers).status_code == 409

    response = client.patch(path, json={"active": True}, headers=headers)

    assert response.json()["active"] is True
    assert response.json()["disabled_reason"] is None
    assert response.json()["consecutive_failures"] == 0


def test_delete_removes_the_webhook_and_its_log(
    client: TestClient, headers: dict[str, str]
) -> None:
    created = register(client, headers)
    path = f"{WEBHOOKS}/{created['id']}"
    client.post(f"{path}/ping", headers=headers)
    assert client.delete(path, headers=headers).status_code == 204
    assert client.get(path, headers=headers).status_code == 404
    assert client.get(f"{path}/deliveries", headers=headers).status_code == 404


def test_ping_queues_a_delivery_whose_location_resolves(
    client: TestClient, headers: dict[str, str]
) -> None:
    created = register(client, headers)

    response = client.post(f"{WEBHOOKS}/{created['id']}/ping", headers=headers)

    assert response.status_code == 201, response.text
    delivery = response.json()
    assert delivery["event_type"] == "ping" and delivery["status"] == "pending"
    assert delivery["attempts"] == [] and delivery["next_attempt_at"] is not None
    fetched = client.get(response.headers["location"], headers=headers)
    assert fetched.status_code == 200 and fetched.json() == delivery


def test_events_create_deliveries_listed_with_their_attempts(
    client: TestClient, app: FastAPI, headers: dict[str, str], engine: Engine
) -> None:
    created = register(client, headers)
    other = register(client, headers, events=["idea.created"])
    newcomer = make_member(app)
    with engine.begin() as connection:
        delivery_id = connection.execute(sa.select(col(WebhookDelivery.id))).scalar_one()
        connection.execute(
            sa.insert(WebhookAttempt).values(
                delivery_id=delivery_id,
                at=utcnow(),
                status_code=500,
                duration_ms=12,
                error=None,
                response_body="boom",
            )
        )

    listed = client.get(f"{WEBHOOKS}/{created['id']}/deliveries", headers=headers).json()

    [delivery] = listed["items"]
    assert delivery["event_type"] == "member.joined"
    assert delivery["attempts"] == [
        {
            "at": delivery["attempts"][0]["at"],
            "status_code": 500,
            "duration_ms": 12,
            "error": None,
            "response_body": "boom",
        }
    ]
    assert client.get(f"{WEBHOOKS}/{other['id']}/deliveries", headers=headers).json()["items"] == []
    pending = client.get(
        f"{WEBHOOKS}/{created['id']}/deliveries", params={"status": "succeeded"}, headers=headers
    )
    assert pending.json()["items"] == []
    assert newcomer.id is not None


def test_redeliver_queues_the_same_event_again(client: TestClient, headers: dict[str, str]) -> None:
    created = register(client, headers)
    other = register(client, headers)
    path = f"{WEBHOOKS}/{created['id']}"
    original = client.post(f"{path}/ping", headers=headers).json()

    response = client.post(f"{path}/deliveries/{original['id']}/redeliver", headers=headers)

    assert response.status_code == 201, response.text
    again = response.json()
    assert again["id"] != original["id"] and again["event_id"] == original["event_id"]
    assert client.get(response.headers["location"], headers=headers).status_code == 200
    foreign = client.post(
        f"{WEBHOOKS}/{other['id']}/deliveries/{original['id']}/redeliver", headers=headers
    )
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "webhook_delivery_not_found"


def test_delivery_list_query_count_does_not_grow_with_page_size(
    client: TestClient, headers: dict[str, str], queries: QueryCounter
) -> None:
    created = register(client, headers)
    path = f"{WEBHOOKS}/{created['id']}"
    for _ in range(6):
        client.post(f"{path}/ping", headers=headers)
    counts = {}
    for limit in (2, 6):
        queries.reset()
        response = client.get(f"{path}/deliveries", params={"limit": limit}, headers=headers)
        assert len(response.json()["items"]) == limit
        counts[limit] = queries.count
    assert counts[2] == counts[6], counts
