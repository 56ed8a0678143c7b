from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.main import create_app
from app.models import Invitation, Role
from tests.conftest import make_settings
from tests.factories import auth_headers, make_member, member_with_headers


def test_get_carries_an_etag_and_honours_if_none_match(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    first = client.get("/api/v1/members/me", headers=headers)
    etag = first.headers["etag"]
    again = client.get("/api/v1/members/me", headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    client.patch("/api/v1/members/me", json={"bio": "changed"}, headers=headers)
    changed = client.get("/api/v1/members/me", headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


def test_patch_with_a_stale_if_match_is_412_and_changes_nothing(
    client: TestClient, app: FastAPI
) -> None:
    _, headers = member_with_headers(app)
    etag = client.get("/api/v1/members/me", headers=headers).headers["etag"]
    first = client.patch(
        "/api/v1/members/me", json={"bio": "first"}, headers={**headers, "If-Match": etag}
    )
    assert first.status_code == 200
    second = client.patch(
        "/api/v1/members/me", json={"bio": "second"}, headers={**headers, "If-Match": etag}
    )
    assert second.status_code == 412
    assert second.json()["code"] == "etag_mismatch"
    assert client.get("/api/v1/members/me", headers=headers).json()["bio"] == "first"
    current = first.headers["etag"]
    third = client.patch(
        "/api/v1/members/me", json={"bio": "third"}, headers={**headers, "If-Match": current}
    )
    assert third.status_code == 200


def test_every_response_has_a_request_id(client: TestClient) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    unsafe = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"}).headers[
        "x-request-id"
    ]
    assert unsafe != "bad id\twith spaces"


def test_bodies_over_one_mebibyte_are_413(client: TestClient) -> None:
    big = b'{"email": "' + b"a" * (1024 * 1024) + b'"}'
    response = client.post(
        "/api/v1/auth/register", content=big, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"

    def chunks() -> Iterator[bytes]:
        yield b'{"email": "'
        for _ in range(17):
            yield b"a" * 65536
        yield b'"}'

    chunked = client.post(
        "/api/v1/auth/register", content=chunks(), headers={"content-type": "application/json"}
    )
    assert chunked.status_code == 413


def test_cors_allows_configured_origins_only(database_url: str) -> None:
    app = create_app(make_settings(database_url, cors_origins="https://app.example.com"))
    with TestClient(app) as client:
        allowed = client.options(
            "/api/v1/members",
            headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"},
        )
        refused = client.get("/healthz", headers={"Origin": "https://evil.example.com"})
    app.state.engine.dispose()
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "access-control-allow-origin" not in refused.headers


def _count_invitations(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Invitation)).one()


def test_idempotency_key_replays_the_first_response(
    client: TestClient, app: FastAPI, session: Session
) -> None:
    headers = {
        **auth_headers(app, make_member(app, role=Role.ORGANIZER)),
        "Idempotency-Key": str(uuid.uuid4()),
    }
    first = client.post("/api/v1/invitations", headers=headers)
    retry = client.post("/api/v1/invitations", headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert _count_invitations(session) == 1
    assert (
        client.post(
            "/api/v1/invitations", headers={**headers, "Idempotency-Key": "other"}
        ).status_code
        == 201
    )


def test_idempotency_key_with_another_body_is_422(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    headers["Idempotency-Key"] = "token-1"
    assert (
        client.post(
            "/api/v1/members/me/tokens", json={"name": "a", "scopes": ["read"]}, headers=headers
        ).status_code
        == 201
    )
    reused = client.post(
        "/api/v1/members/me/tokens", json={"name": "b", "scopes": ["read"]}, headers=headers
    )
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"


def test_idempotency_keys_belong_to_their_owner(
    client: TestClient, app: FastAPI, session: Session
) -> None:
    one = {**auth_headers(app, make_member(app, role=Role.ORGANIZER)), "Idempotency-Key": "same"}
    two = {**auth_headers(app, make_member(app, role=Role.ORGANIZER)), "Idempotency-Key": "same"}
    a, b = (
        client.post("/api/v1/invitations", headers=one),
        client.post("/api/v1/invitations", headers=two),
    )
    assert a.json()["id"] != b.json()["id"]
    assert _count_invitations(session) == 2


def test_concurrent_retries_with_one_key_create_once(
    live: str, app: FastAPI, session: Session
) -> None:
    headers = {
        **auth_headers(app, make_member(app, role=Role.ORGANIZER)),
        "Idempotency-Key": "racing",
    }

    def create(_: int) -> tuple[int, str]:
        with httpx.Client(base_url=live, timeout=30) as http:
            response = http.post("/api/v1/invitations", headers=headers)
            return response.status_code, response.text

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(create, range(8)))
    statuses = [status for status, _ in results]
    assert set(statuses) <= {201, 409}, results
    assert _count_invitations(session) == 1
    bodies = {text for status, text in results if status == 201}
    assert len(bodies) == 1
