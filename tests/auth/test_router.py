from __future__ import annotations

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx2 as httpx
import jwt
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col

from app.core.clock import utcnow
from app.core.security import hash_secret
from app.models import RefreshToken, Role
from tests.factories import PASSWORD, auth_headers, make_member, tokens_for

REGISTER = {
    "email": "Rina@Example.com",
    "password": "correct horse battery",
    "handle": "Rina",
    "display_name": "Rina Wijaya",
}


def test_register_creates_member_with_location(client: TestClient) -> None:
    response = client.post("/api/v1/auth/register", json=REGISTER)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/api/v1/members/{body['id']}"
    assert body["handle"] == "Rina"
    assert body["email"] == "rina@example.com"
    assert body["role"] == "member"
    assert "password" not in json.dumps(body)


def test_handles_differing_only_in_case_conflict(client: TestClient) -> None:
    assert client.post("/api/v1/auth/register", json=REGISTER).status_code == 201
    again = {**REGISTER, "email": "other@example.com", "handle": "rINA"}
    response = client.post("/api/v1/auth/register", json=again)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "handle_taken"


def test_duplicate_email_conflicts(client: TestClient) -> None:
    assert client.post("/api/v1/auth/register", json=REGISTER).status_code == 201
    response = client.post("/api/v1/auth/register", json={**REGISTER, "handle": "someone_else"})
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("password", "short"),
        ("password", "x" * 129),
        ("handle", "ab"),
        ("handle", "has space"),
        ("handle", "x" * 31),
        ("email", "not-an-email"),
        ("display_name", "Rina\x00"),
        ("display_name", "   "),
    ],
)
def test_register_rejects_invalid_fields(client: TestClient, field: str, value: str) -> None:
    response = client.post("/api/v1/auth/register", json={**REGISTER, field: value})
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert problem["errors"][0]["loc"] == ["body", field]


def test_register_cannot_set_role(client: TestClient) -> None:
    response = client.post("/api/v1/auth/register", json={**REGISTER, "role": "admin"})
    assert response.status_code == 422
    assert (
        client.post(
            "/api/v1/auth/token", data={"username": "Rina", "password": PASSWORD}
        ).status_code
        == 401
    )


def test_login_with_email_or_handle_in_any_case(client: TestClient) -> None:
    client.post("/api/v1/auth/register", json=REGISTER)
    for username in ("rina@example.com", "RINA", "rina"):
        response = client.post(
            "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 15 * 60
        me = client.get(
            "/api/v1/members/me", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert me.json()["handle"] == "Rina"


def test_wrong_password_is_401_with_www_authenticate(client: TestClient) -> None:
    client.post("/api/v1/auth/register", json=REGISTER)
    response = client.post(
        "/api/v1/auth/token", data={"username": "rina", "password": "wrong password"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["code"] == "invalid_credentials"


def _exchanged_seconds_ago(app: FastAPI, refresh_token: str, seconds: int) -> None:
    """Moves a token's exchange into the past, as if its grace window had run."""
    with Session(app.state.engine) as session:
        session.execute(
            sa.update(RefreshToken)
            .where(col(RefreshToken.token_hash) == hash_secret(refresh_token))
            .values(used_at=utcnow() - timedelta(seconds=seconds))
        )
        session.commit()


def test_json_sent_to_the_log_in_form_is_told_a_form_is_expected(
    client: TestClient, app: FastAPI
) -> None:
    make_member(app, handle="formal")
    response = client.post("/api/v1/auth/token", json={"username": "formal", "password": PASSWORD})
    assert response.status_code == 422
    problem = response.json()
    assert "application/x-www-form-urlencoded" in problem["detail"]
    assert problem["errors"][0]["loc"] == ["header", "content-type"]
    as_form = client.post("/api/v1/auth/token", data={"username": "formal", "password": PASSWORD})
    assert as_form.status_code == 200


def test_refresh_rotates_and_reuse_revokes_the_chain(client: TestClient, app: FastAPI) -> None:
    member = make_member(app)
    first = tokens_for(app, member)
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"]

    _exchanged_seconds_ago(app, first["refresh_token"], 31)  # the default grace is 30 s
    reused = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["code"] == "refresh_token_reused"

    # The whole chain is gone: the newest refresh token and the access tokens of the log-in.
    newest = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert newest.status_code == 401
    me = client.get(
        "/api/v1/members/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
    )
    assert me.status_code == 401


def test_the_same_token_again_within_the_grace_window_gets_the_same_pair(
    client: TestClient, app: FastAPI
) -> None:
    member = make_member(app)
    first = tokens_for(app, member)
    body = {"refresh_token": first["refresh_token"]}
    tab_one = client.post("/api/v1/auth/refresh", json=body)
    tab_two = client.post("/api/v1/auth/refresh", json=body)
    assert tab_one.status_code == tab_two.status_code == 200, tab_two.text
    assert tab_two.json()["refresh_token"] == tab_one.json()["refresh_token"]
    for answer in (tab_one, tab_two):  # both access tokens work: the log-in lives on
        headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        assert client.get("/api/v1/members/me", headers=headers).status_code == 200
    # The shared successor rotates as usual.
    successor = {"refresh_token": tab_one.json()["refresh_token"]}
    assert client.post("/api/v1/auth/refresh", json=successor).status_code == 200


def test_no_grace_for_a_log_in_that_was_ended(client: TestClient, app: FastAPI) -> None:
    member = make_member(app)
    first = tokens_for(app, member)
    body = {"refresh_token": first["refresh_token"]}
    pair = client.post("/api/v1/auth/refresh", json=body).json()
    client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    again = client.post("/api/v1/auth/refresh", json=body)
    assert again.status_code == 401
    assert again.json()["code"] == "invalid_refresh_token"


def test_a_grace_of_zero_makes_every_second_exchange_a_reuse(database_url: str) -> None:
    from app.main import create_app
    from tests.conftest import _empty_tables, make_settings

    app = create_app(make_settings(database_url, refresh_reuse_grace_seconds=0))
    try:
        with TestClient(app) as client:
            first = tokens_for(app, make_member(app))
            body = {"refresh_token": first["refresh_token"]}
            assert client.post("/api/v1/auth/refresh", json=body).status_code == 200
            _exchanged_seconds_ago(app, first["refresh_token"], 1)
            reused = client.post("/api/v1/auth/refresh", json=body)
            assert reused.json()["code"] == "refresh_token_reused"
    finally:
        _empty_tables(app.state.engine)
        app.state.engine.dispose()


def test_reuse_does_not_touch_other_log_ins(client: TestClient, app: FastAPI) -> None:
    member = make_member(app)
    phone, laptop = tokens_for(app, member), tokens_for(app, member)
    client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    _exchanged_seconds_ago(app, phone["refresh_token"], 60)
    client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert (
        client.post(
            "/api/v1/auth/refresh", json={"refresh_token": laptop["refresh_token"]}
        ).status_code
        == 200
    )


def test_logout_revokes_the_log_in(client: TestClient, app: FastAPI) -> None:
    member = make_member(app)
    pair = tokens_for(app, member)
    assert (
        client.post(
            "/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]}
        ).status_code
        == 204
    )
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert client.get("/api/v1/members/me", headers=headers).status_code == 401
    assert (
        client.post(
            "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
        ).status_code
        == 401
    )


def _unsigned(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _claims(member_id: int | None, session_id: int = 1, **extra: object) -> dict[str, object]:
    now = int(time.time())
    return {
        "sub": str(member_id),
        "sid": session_id,
        "aud": "sanggar",
        "iat": now,
        "exp": now + 600,
        **extra,
    }


def test_forged_tokens_are_refused(client: TestClient, app: FastAPI) -> None:
    member = make_member(app)
    real = tokens_for(app, member)
    session_id = jwt.decode(real["access_token"], options={"verify_signature": False})["sid"]
    key = app.state.settings.signing_key()
    no_exp = _claims(member.id, session_id)
    del no_exp["exp"]
    forged = {
        "alg none": _unsigned(_claims(member.id, session_id)),
        "bad signature": jwt.encode(
            _claims(member.id, session_id), "another-key-" + "y" * 64, algorithm="HS256"
        ),
        "no exp": jwt.encode(no_exp, key, algorithm="HS256"),
        "expired and forged": jwt.encode(
            _claims(member.id, session_id, exp=int(time.time()) - 5),
            "another-key-" + "y" * 64,
            algorithm="HS256",
        ),
        "other algorithm": jwt.encode(_claims(member.id, session_id), key, algorithm="HS512"),
        "garbage": "not.a.token",
    }
    for name, token in forged.items():
        response = client.get("/api/v1/members/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.json()["code"] == "unauthorized", name
    ok = client.get(
        "/api/v1/members/me", headers={"Authorization": f"Bearer {real['access_token']}"}
    )
    assert ok.status_code == 200


def test_expired_access_token_is_token_expired_with_a_description(
    client: TestClient, app: FastAPI
) -> None:
    member = make_member(app)
    real = tokens_for(app, member)
    session_id = jwt.decode(real["access_token"], options={"verify_signature": False})["sid"]
    expired = jwt.encode(
        _claims(member.id, session_id, exp=int(time.time()) - 5),
        app.state.settings.signing_key(),
        algorithm="HS256",
    )
    response = client.get("/api/v1/members/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert "/api/v1/auth/refresh" in response.json()["detail"]
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="invalid_token", error_description="')
    assert "expired" in challenge


def test_deactivated_member_cannot_log_in_and_tokens_stop(client: TestClient, app: FastAPI) -> None:
    admin = make_member(app, role=Role.ADMIN)
    member = make_member(app, handle="leaving")
    headers = auth_headers(app, member)
    assert client.get("/api/v1/members/me", headers=headers).status_code == 200
    response = client.patch(
        f"/api/v1/members/{member.id}", json={"is_active": False}, headers=auth_headers(app, admin)
    )
    assert response.status_code == 200, response.text
    assert client.get("/api/v1/members/me", headers=headers).status_code == 401
    login = client.post("/api/v1/auth/token", data={"username": "leaving", "password": PASSWORD})
    assert login.status_code == 401


def test_invite_mode_requires_a_valid_unused_code(database_url: str) -> None:
    from app.main import create_app
    from tests.conftest import _empty_tables, make_settings

    app = create_app(make_settings(database_url, registration="invite"))
    try:
        with TestClient(app) as client:
            organizer = make_member(app, role=Role.ORGANIZER)
            assert client.post("/api/v1/auth/register", json=REGISTER).status_code == 403
            bad = client.post("/api/v1/auth/register", json={**REGISTER, "invite_code": "nope"})
            assert bad.status_code == 403
            assert bad.json()["code"] == "invitation_required"
            code = client.post("/api/v1/invitations", headers=auth_headers(app, organizer)).json()[
                "code"
            ]
            assert (
                client.post(
                    "/api/v1/auth/register", json={**REGISTER, "invite_code": code}
                ).status_code
                == 201
            )
            second = {**REGISTER, "email": "b@example.com", "handle": "budi", "invite_code": code}
            assert client.post("/api/v1/auth/register", json=second).status_code == 403
    finally:
        _empty_tables(app.state.engine)
        app.state.engine.dispose()


def test_concurrent_refreshes_of_one_token_all_get_the_same_pair(live: str, app: FastAPI) -> None:
    """Tabs refreshing at once: one exchange wins, the others wait for it (a row lock on
    PostgreSQL, the write lock on SQLite) and answer its successor; nobody is logged out."""
    member = make_member(app)
    pair = tokens_for(app, member)

    def refresh(_: int) -> httpx.Response:
        with httpx.Client(base_url=live, timeout=30) as http:
            return http.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(refresh, range(8)))
    assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers]
    assert len({a.json()["refresh_token"] for a in answers}) == 1
    with httpx.Client(base_url=live, timeout=30) as http:
        for answer in answers:
            headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            assert http.get("/api/v1/members/me", headers=headers).status_code == 200
        successor = {"refresh_token": answers[0].json()["refresh_token"]}
        assert http.post("/api/v1/auth/refresh", json=successor).status_code == 200


def test_concurrent_registrations_of_one_handle_create_one_member(live: str) -> None:
    def register(n: int) -> int:
        body = {
            **REGISTER,
            "email": f"racer{n}@example.com",
            "handle": "RaCeR" if n % 2 else "racer",
        }
        with httpx.Client(base_url=live, timeout=30) as http:
            return http.post("/api/v1/auth/register", json=body).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(register, range(10)))
    assert statuses.count(201) == 1
    assert statuses.count(409) == 9
