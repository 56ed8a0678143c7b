from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core import domain_events
from tests.factories import PASSWORD, make_member, tokens_for

NEW = "a brand new passphrase"


def bearer(pair: dict[str, object]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


def log_in(client: TestClient, username: str, password: str) -> int:
    return client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    ).status_code


def test_password_change_keeps_this_log_in_and_ends_the_others(
    app: FastAPI, client: TestClient, published: list[domain_events.DomainEvent]
) -> None:
    member = make_member(app)
    mine, other = tokens_for(app, member), tokens_for(app, member)
    response = client.post(
        "/api/v1/members/me/password",
        json={"current_password": PASSWORD, "new_password": NEW},
        headers=bearer(mine),
    )
    assert response.status_code == 204, response.text
    assert client.get("/api/v1/members/me", headers=bearer(mine)).status_code == 200
    assert client.get("/api/v1/members/me", headers=bearer(other)).status_code == 401
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert refreshed.status_code == 401
    assert log_in(client, member.handle, PASSWORD) == 401
    assert log_in(client, member.handle, NEW) == 200
    changed = domain_events.PasswordChanged(actor_id=member.id, member_id=member.id)  # type: ignore[arg-type]
    assert changed in published


def test_a_wrong_current_password_is_refused_and_changes_nothing(
    app: FastAPI, client: TestClient
) -> None:
    member = make_member(app)
    mine, other = tokens_for(app, member), tokens_for(app, member)
    response = client.post(
        "/api/v1/members/me/password",
        json={"current_password": "not my password", "new_password": NEW},
        headers=bearer(mine),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "wrong_password"
    assert client.get("/api/v1/members/me", headers=bearer(other)).status_code == 200
    assert log_in(client, member.handle, PASSWORD) == 200


def test_a_too_short_new_password_is_a_422(app: FastAPI, client: TestClient) -> None:
    member = make_member(app)
    response = client.post(
        "/api/v1/members/me/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=bearer(tokens_for(app, member)),
    )
    assert response.status_code == 422
    assert log_in(client, member.handle, PASSWORD) == 200


def test_log_ins_are_listed_newest_first_and_the_current_one_marked(
    app: FastAPI, client: TestClient
) -> None:
    member, stranger = make_member(app), make_member(app)
    first, second = tokens_for(app, member), tokens_for(app, member)
    tokens_for(app, stranger)
    page = client.get("/api/v1/members/me/sessions?limit=1", headers=bearer(first))
    assert page.status_code == 200, page.text
    body = page.json()
    assert len(body["items"]) == 1 and body["next_cursor"] is not None
    newest = body["items"][0]
    assert newest["current"] is False
    assert set(newest) == {"id", "created_at", "last_used_at", "user_agent", "client", "current"}
    rest = client.get(
        f"/api/v1/members/me/sessions?cursor={body['next_cursor']}", headers=bearer(first)
    ).json()
    assert [i["current"] for i in rest["items"]] == [True]
    assert rest["next_cursor"] is None
    assert newest["id"] > rest["items"][0]["id"]
    assert second  # the newest log-in is the second one


FIREFOX_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def test_a_log_in_lists_the_client_it_began_on(app: FastAPI, client: TestClient) -> None:
    member = make_member(app)
    # A header may carry any Latin-1 byte: controls go, the rest is trimmed to 256.
    sent = FIREFOX_ON_LINUX + "\x7f\x85 extra\tpadding " + "x" * 400
    logged_in = client.post(
        "/api/v1/auth/token",
        data={"username": member.handle, "password": PASSWORD},
        headers={b"User-Agent": sent.encode("latin-1")},
    )
    assert logged_in.status_code == 200, logged_in.text
    without_agent = client.post(
        "/api/v1/auth/token",
        data={"username": member.handle, "password": PASSWORD},
        headers={"User-Agent": ""},
    )
    assert without_agent.status_code == 200, without_agent.text
    items = client.get("/api/v1/members/me/sessions", headers=bearer(logged_in.json())).json()[
        "items"
    ]
    newest, firefox = items
    assert (newest["user_agent"], newest["client"]) == (None, None)
    assert firefox["current"] is True
    assert firefox["client"] == "Firefox on Linux"
    stored = firefox["user_agent"]
    assert stored.startswith(FIREFOX_ON_LINUX + " extra padding x")
    assert len(stored) == 256
    assert not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in stored)


def test_ending_one_log_in_stops_its_tokens_at_once(app: FastAPI, client: TestClient) -> None:
    member, stranger = make_member(app), make_member(app)
    mine, other = tokens_for(app, member), tokens_for(app, member)
    theirs = tokens_for(app, stranger)
    items = client.get("/api/v1/members/me/sessions", headers=bearer(mine)).json()["items"]
    other_id = next(i["id"] for i in items if not i["current"])
    their_id = client.get("/api/v1/members/me/sessions", headers=bearer(theirs)).json()["items"][0][
        "id"
    ]
    # Someone else's log-in is not found, and stays open.
    assert (
        client.delete(f"/api/v1/members/me/sessions/{their_id}", headers=bearer(mine)).status_code
        == 404
    )
    assert client.get("/api/v1/members/me", headers=bearer(theirs)).status_code == 200
    # Known by the cache a moment ago, ended now.
    assert client.get("/api/v1/members/me", headers=bearer(other)).status_code == 200
    ended = client.delete(f"/api/v1/members/me/sessions/{other_id}", headers=bearer(mine))
    assert ended.status_code == 204
    assert client.get("/api/v1/members/me", headers=bearer(other)).status_code == 401
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert refreshed.status_code == 401
    again = client.delete(f"/api/v1/members/me/sessions/{other_id}", headers=bearer(mine))
    assert again.status_code == 404
    assert again.json()["code"] == "session_not_found"


def test_ending_the_other_log_ins_keeps_mine(app: FastAPI, client: TestClient) -> None:
    member = make_member(app)
    mine, others = tokens_for(app, member), [tokens_for(app, member) for _ in range(2)]
    assert client.delete("/api/v1/members/me/sessions", headers=bearer(mine)).status_code == 204
    assert client.get("/api/v1/members/me", headers=bearer(mine)).status_code == 200
    for other in others:
        assert client.get("/api/v1/members/me", headers=bearer(other)).status_code == 401
    items = client.get("/api/v1/members/me/sessions", headers=bearer(mine)).json()["items"]
    assert [i["current"] for i in items] == [True]


def test_personal_access_tokens_cannot_manage_the_account(app: FastAPI, client: TestClient) -> None:
    member = make_member(app)
    created = client.post(
        "/api/v1/members/me/tokens",
        json={"name": "ci", "scopes": ["read", "write"]},
        headers=bearer(tokens_for(app, member)),
    )
    assert created.status_code == 201, created.text
    pat = {"Authorization": f"Bearer {created.json()['token']}"}
    assert client.get("/api/v1/members/me/sessions", headers=pat).status_code == 403
    response = client.post(
        "/api/v1/members/me/password",
        json={"current_password": PASSWORD, "new_password": NEW},
        headers=pat,
    )
    assert response.status_code == 403
