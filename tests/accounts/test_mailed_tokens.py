from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.core import domain_events
from app.core.clock import utcnow
from app.core.security import hash_secret
from app.main import create_app
from app.models import AccountToken, Role
from tests.conftest import make_settings
from tests.factories import PASSWORD, auth_headers, make_member, tokens_for

NEW = "a brand new passphrase"


def events_of(published: list[domain_events.DomainEvent], cls: type) -> list:  # type: ignore[type-arg]
    return [e for e in published if isinstance(e, cls)]


def log_in(client: TestClient, username: str, password: str) -> int:
    return client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    ).status_code


# --- forgotten password ---------------------------------------------------------------------


def test_a_reset_is_accepted_alike_for_known_and_unknown_addresses(
    app: FastAPI, client: TestClient, published: list[domain_events.DomainEvent]
) -> None:
    member = make_member(app)
    known = client.post("/api/v1/auth/password-reset", json={"email": member.email.upper()})
    unknown = client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    [sent] = events_of(published, domain_events.PasswordResetRequested)
    assert sent.member_id == member.id and sent.requested_by_admin is False
    assert sent.token not in str(sent.member_id)


def test_the_token_is_stored_hashed_and_works_once(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    published: list[domain_events.DomainEvent],
) -> None:
    member = make_member(app)
    other_log_in = tokens_for(app, member)
    client.post("/api/v1/auth/password-reset", json={"email": member.email})
    [sent] = events_of(published, domain_events.PasswordResetRequested)
    with Session(engine) as session:
        stored = session.exec(select(AccountToken)).one()
    assert stored.token_hash == hash_secret(sent.token) and sent.token != stored.token_hash
    body = {"token": sent.token, "new_password": NEW}
    assert client.post("/api/v1/auth/password-reset/confirm", json=body).status_code == 204
    assert log_in(client, member.handle, PASSWORD) == 401
    assert log_in(client, member.handle, NEW) == 200
    # every log-in that existed before ended
    headers = {"Authorization": f"Bearer {other_log_in['access_token']}"}
    assert client.get("/api/v1/members/me", headers=headers).status_code == 401
    again = client.post(
        "/api/v1/auth/password-reset/confirm", json={**body, "new_password": "yet another one"}
    )
    assert again.status_code == 404 and again.json()["code"] == "invalid_token"
    assert log_in(client, member.handle, NEW) == 200


def test_expired_and_unknown_tokens_are_refused(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    published: list[domain_events.DomainEvent],
) -> None:
    member = make_member(app)
    client.post("/api/v1/auth/password-reset", json={"email": member.email})
    [sent] = events_of(published, domain_events.PasswordResetRequested)
    with Session(engine) as session:
        session.execute(sa.update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    for token in (sent.token, "not-a-token-we-made"):
        response = client.post(
            "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW}
        )
        assert response.status_code == 404 and response.json()["code"] == "invalid_token"
    assert log_in(client, member.handle, PASSWORD) == 200


def test_a_deactivated_member_gets_no_mail(
    app: FastAPI, client: TestClient, published: list[domain_events.DomainEvent]
) -> None:
    member = make_member(app, is_active=False)
    response = client.post("/api/v1/auth/password-reset", json={"email": member.email})
    assert response.status_code == 202
    assert events_of(published, domain_events.PasswordResetRequested) == []


def test_known_and_unknown_addresses_take_about_the_same_time(app: FastAPI) -> None:
    slow = create_app(
        make_settings(
            app.state.settings.database_url,
            password_hash_memory_kib=19_456,
            password_hash_time_cost=2,
        )
    )
    member = make_member(app)

    def timed(email: str) -> float:
        with TestClient(slow) as client:
            started = time.perf_counter()
            assert (
                client.post("/api/v1/auth/password-reset", json={"email": email}).status_code == 202
            )
            return time.perf_counter() - started

    timed("warm@example.com")
    known = min(timed(member.email) for _ in range(3))
    unknown = min(timed("nobody@example.com") for _ in range(3))
    assert unknown > known * 0.5 and known < unknown * 2
    slow.state.engine.dispose()


def test_admins_send_a_member_the_reset_mail(
    app: FastAPI, client: TestClient, published: list[domain_events.DomainEvent]
) -> None:
    admin, member = make_member(app, role=Role.ADMIN), make_member(app)
    response = client.post(
        f"/api/v1/members/{member.id}/password-reset", headers=auth_headers(app, admin)
    )
    assert response.status_code == 202, response.text
    [sent] = events_of(published, domain_events.PasswordResetRequested)
    assert (sent.member_id, sent.requested_by_admin, sent.actor_id) == (member.id, True, admin.id)
    assert (
        client.post(
            "/api/v1/members/999999/password-reset", headers=auth_headers(app, admin)
        ).status_code
        == 404
    )
    not_admin = client.post(
        f"/api/v1/members/{admin.id}/password-reset", headers=auth_headers(app, member)
    )
    assert not_admin.status_code == 403


# --- email verification -----------------------------------------------------------------------


@pytest.fixture
def verifying(app: FastAPI) -> Iterator[TestClient]:
    """The app with SANGGAR_EMAIL_VERIFICATION=on (same database)."""
    application = create_app(
        make_settings(app.state.settings.database_url, email_verification="on")
    )
    with TestClient(application) as client:
        yield client
    application.state.engine.dispose()


REGISTER = {
    "email": "sari@example.com",
    "password": PASSWORD,
    "handle": "sari",
    "display_name": "Sari",
}


def test_registration_mails_a_token_and_unverified_members_may_only_edit_their_profile(
    verifying: TestClient, published: list[domain_events.DomainEvent]
) -> None:
    created = verifying.post("/api/v1/auth/register", json=REGISTER)
    assert created.status_code == 201, created.text
    assert created.json()["email_verified"] is False
    [sent] = events_of(published, domain_events.EmailVerificationRequested)
    token = verifying.post(
        "/api/v1/auth/token", data={"username": "sari", "password": PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        verifying.patch("/api/v1/members/me", json={"bio": "hi"}, headers=headers).status_code
        == 200
    )
    refused = verifying.post(
        "/api/v1/threads", json={"title": "Hello", "body": "x"}, headers=headers
    )
    assert refused.status_code == 403 and refused.json()["code"] == "email_unverified"
    assert verifying.get("/api/v1/members/me", headers=headers).status_code == 200
    # sent again: the first token stops working
    again = verifying.post("/api/v1/members/me/verification-email", headers=headers)
    assert again.status_code == 202
    [_, fresh] = events_of(published, domain_events.EmailVerificationRequested)
    old = verifying.post("/api/v1/auth/verify-email", json={"token": sent.token})
    assert old.status_code == 404
    assert (
        verifying.post("/api/v1/auth/verify-email", json={"token": fresh.token}).status_code == 204
    )
    me = verifying.get("/api/v1/members/me", headers=headers).json()
    assert me["email_verified"] is True
    allowed = verifying.post(
        "/api/v1/threads", json={"title": "Hello", "body": "x"}, headers=headers
    )
    assert allowed.status_code != 403, allowed.text
    done = verifying.post("/api/v1/members/me/verification-email", headers=headers)
    assert done.status_code == 409 and done.json()["code"] == "email_already_verified"


def test_with_verification_off_nothing_is_mailed(
    client: TestClient, published: list[domain_events.DomainEvent]
) -> None:
    assert client.post("/api/v1/auth/register", json=REGISTER).status_code == 201
    assert events_of(published, domain_events.EmailVerificationRequested) == []


# --- changing the email ---------------------------------------------------------------------


def test_an_email_change_waits_for_the_new_address_and_tells_the_old(
    app: FastAPI, client: TestClient, published: list[domain_events.DomainEvent]
) -> None:
    member = make_member(app)
    old_email = member.email
    headers = auth_headers(app, member)
    response = client.patch(
        "/api/v1/members/me",
        json={"email": "New.Address@example.com", "current_password": PASSWORD},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["email"] == old_email
    [sent] = events_of(published, domain_events.EmailChangeRequested)
    assert sent.new_email == "new.address@example.com"
    assert client.post("/api/v1/auth/verify-email", json={"token": sent.token}).status_code == 204
    assert client.get("/api/v1/members/me", headers=headers).json()["email"] == sent.new_email
    assert domain_events.EmailChanged(member_id=member.id, old_email=old_email) in published  # type: ignore[arg-type]
    assert log_in(client, "new.address@example.com", PASSWORD) == 200
    assert log_in(client, old_email, PASSWORD) == 401


def moving_to(email: str, password: str = PASSWORD) -> dict[str, str]:
    return {"email": email, "current_password": password}


def test_an_email_change_without_the_current_password_is_a_422(
    app: FastAPI, client: TestClient, published: list[domain_events.DomainEvent]
) -> None:
    headers = auth_headers(app, make_member(app))
    response = client.patch("/api/v1/members/me", json={"email": "n@example.com"}, headers=headers)
    assert response.status_code == 422, response.text
    assert "current_password" in response.text
    assert events_of(published, domain_events.EmailChangeRequested) == []


def test_a_wrong_current_password_changes_no_address_and_tells_nothing_of_others(
    app: FastAPI, client: TestClient, published: list[domain_events.DomainEvent]
) -> None:
    member, other = make_member(app), make_member(app)
    headers = auth_headers(app, member)
    for address in ("free@example.com", other.email):  # a taken one answers alike
        wrong = client.patch(
            "/api/v1/members/me",
            json={**moving_to(address, "not my password"), "bio": "lost too"},
            headers=headers,
        )
        assert wrong.status_code == 403, wrong.text
        assert wrong.json()["code"] == "wrong_password"
    assert events_of(published, domain_events.EmailChangeRequested) == []
    me = client.get("/api/v1/members/me", headers=headers).json()
    assert (me["email"], me["bio"]) == (member.email, member.bio)


def test_guesses_at_the_password_through_an_email_change_are_limited(database_url: str) -> None:
    app = create_app(make_settings(database_url, rate_limit_enabled=True, rate_limit_auth="3/hour"))
    with TestClient(app) as limited_client:
        headers = auth_headers(app, make_member(app))
        answers = [
            limited_client.patch(
                "/api/v1/members/me", json=moving_to("n@example.com", f"guess {n}"), headers=headers
            ).status_code
            for n in range(4)
        ]
        assert answers == [403, 403, 403, 429]
    app.state.engine.dispose()


def test_an_address_taken_meanwhile_is_a_409(
    app: FastAPI, client: TestClient, published: list[domain_events.DomainEvent]
) -> None:
    member, other = make_member(app), make_member(app)
    headers = auth_headers(app, member)
    taken = client.patch("/api/v1/members/me", json=moving_to(other.email), headers=headers)
    assert taken.status_code == 409 and taken.json()["code"] == "email_taken"
    client.patch("/api/v1/members/me", json=moving_to("free@example.com"), headers=headers)
    [sent] = events_of(published, domain_events.EmailChangeRequested)
    make_member(app, email="free@example.com")
    response = client.post("/api/v1/auth/verify-email", json={"token": sent.token})
    assert response.status_code == 409
    assert client.get("/api/v1/members/me", headers=headers).json()["email"] == member.email


def test_email_changes_are_limited(app: FastAPI, client: TestClient) -> None:
    member = make_member(app)
    headers = auth_headers(app, member)
    for n in range(5):
        body = moving_to(f"try{n}@example.com")
        assert client.patch("/api/v1/members/me", json=body, headers=headers).status_code == 200
    limited = client.patch("/api/v1/members/me", json=moving_to("x@example.com"), headers=headers)
    assert limited.status_code == 429 and "retry-after" in limited.headers


def test_a_null_email_is_refused(app: FastAPI, client: TestClient) -> None:
    member = make_member(app)
    response = client.patch(
        "/api/v1/members/me", json={"email": None}, headers=auth_headers(app, member)
    )
    assert response.status_code == 422
