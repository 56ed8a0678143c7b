from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Discipline, PersonalAccessToken, Role
from tests.factories import QueryCounter, auth_headers, make_member, member_with_headers


def test_member_list_needs_credentials(client: TestClient) -> None:
    response = client.get("/api/v1/members")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_public_profile_is_visible_to_anyone_without_email(
    client: TestClient, app: FastAPI
) -> None:
    member = make_member(app, bio="Ink and risograph.", city="Bandung")
    response = client.get(f"/api/v1/members/{member.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["bio"] == "Ink and risograph."
    assert body["email"] is None


def test_email_is_visible_only_to_the_member_and_admins(client: TestClient, app: FastAPI) -> None:
    member, own_headers = member_with_headers(app, handle="rina")
    other, other_headers = member_with_headers(app)
    _, admin_headers = member_with_headers(app, role=Role.ADMIN)
    url = f"/api/v1/members/{member.id}"
    assert client.get(url, headers=other_headers).json()["email"] is None
    assert client.get(url, headers=own_headers).json()["email"] == "rina@example.com"
    assert client.get(url, headers=admin_headers).json()["email"] == "rina@example.com"
    listed = client.get("/api/v1/members", headers=other_headers).json()["items"]
    assert all((item["email"] is None) == (item["id"] != other.id) for item in listed)


def test_member_updates_own_profile(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    changes = {
        "bio": "Street photographer.\nLoves old markets.",
        "city": "Yogyakarta",
        "disciplines": ["photography", "video"],
        "skills": ["Lightroom", "film"],
        "links": ["https://example.com/portfolio"],
        "open_for_commissions": True,
    }
    response = client.patch("/api/v1/members/me", json=changes, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    for field, value in changes.items():
        assert body[field] == value
    assert client.get("/api/v1/members/me", headers=headers).json()["skills"] == [
        "Lightroom",
        "film",
    ]


def test_member_cannot_raise_own_role_or_points(client: TestClient, app: FastAPI) -> None:
    member, headers = member_with_headers(app)
    for forbidden in ({"role": "admin"}, {"points": 1000}, {"id": 1}, {"is_active": False}):
        response = client.patch("/api/v1/members/me", json=forbidden, headers=headers)
        assert response.status_code == 422, forbidden
    admin_only = client.patch(
        f"/api/v1/members/{member.id}", json={"role": "admin"}, headers=headers
    )
    assert admin_only.status_code == 403
    assert admin_only.json()["code"] == "role_required"
    assert client.get("/api/v1/members/me", headers=headers).json()["role"] == "member"


def test_required_profile_fields_cannot_be_nulled(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    response = client.patch("/api/v1/members/me", json={"display_name": None}, headers=headers)
    assert response.status_code == 422


def test_profile_text_rejects_control_characters(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    for bad in ("nul\x00byte", "bell\x07", "lone \ud800 surrogate"):
        # json.dumps escapes to ASCII, so even a lone surrogate travels as "\ud800".
        body = json.dumps({"bio": bad})
        response = client.patch(
            "/api/v1/members/me",
            content=body,
            headers={**headers, "content-type": "application/json"},
        )
        assert response.status_code == 422, repr(bad)
    assert (
        client.patch(
            "/api/v1/members/me", json={"bio": "two\nlines\ttabbed"}, headers=headers
        ).status_code
        == 200
    )


def test_links_must_be_http_urls(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    for bad in (["javascript:alert(1)"], ["ftp://example.com"], ["not a url"]):
        assert (
            client.patch("/api/v1/members/me", json={"links": bad}, headers=headers).status_code
            == 422
        )


def test_admin_sets_role_and_the_last_admin_stays(client: TestClient, app: FastAPI) -> None:
    admin, admin_headers = member_with_headers(app, role=Role.ADMIN)
    member = make_member(app)
    promoted = client.patch(
        f"/api/v1/members/{member.id}", json={"role": "organizer"}, headers=admin_headers
    )
    assert promoted.json()["role"] == "organizer"
    demote_self = client.patch(
        f"/api/v1/members/{admin.id}", json={"role": "member"}, headers=admin_headers
    )
    assert demote_self.status_code == 409
    assert demote_self.json()["code"] == "last_admin"


def test_deactivated_member_is_hidden_except_from_admins(client: TestClient, app: FastAPI) -> None:
    gone = make_member(app, is_active=False)
    _, member_headers = member_with_headers(app)
    _, admin_headers = member_with_headers(app, role=Role.ADMIN)
    assert client.get(f"/api/v1/members/{gone.id}", headers=member_headers).status_code == 404
    assert (
        client.get(f"/api/v1/members/{gone.id}", headers=admin_headers).json()["is_active"] is False
    )
    listed = {
        m["id"] for m in client.get("/api/v1/members", headers=member_headers).json()["items"]
    }
    assert gone.id not in listed


def test_member_filters(client: TestClient, app: FastAPI) -> None:
    rina = make_member(
        app,
        handle="rina_draws",
        display_name="Rina Wijaya",
        city="Bandung",
        disciplines=[Discipline.ILLUSTRATION],
        skills=["Risograph"],
    )
    budi = make_member(
        app,
        handle="budi",
        display_name="Budi Santoso",
        city="Jakarta",
        disciplines=[Discipline.PHOTOGRAPHY],
        skills=["film"],
    )
    organizer, headers = member_with_headers(app, role=Role.ORGANIZER)

    def ids(**params: str) -> set[int]:
        response = client.get("/api/v1/members", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert ids(city="bandung") == {rina.id}
    assert ids(discipline="photography") == {budi.id}
    assert ids(skill="RISOGRAPH") == {rina.id}
    assert ids(q="wija") == {rina.id}
    assert ids(q="%") == set()
    assert ids(role="organizer") == {organizer.id}
    assert (
        client.get(
            "/api/v1/members", params={"discipline": "juggling"}, headers=headers
        ).status_code
        == 422
    )


def test_member_list_query_count_stays_flat(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    _viewer, headers = member_with_headers(app)
    for n in range(30):
        make_member(app, skills=[f"skill{n}", "shared"], disciplines=[Discipline.DESIGN])
    counts = {}
    for limit in (2, 30):
        queries.reset()
        response = client.get("/api/v1/members", params={"limit": limit}, headers=headers)
        assert len(response.json()["items"]) == limit
        counts[limit] = queries.count
    assert counts[2] == counts[30], counts


def test_a_profile_and_a_page_of_the_directory_cost_a_fixed_number_of_statements(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    """A profile: one statement, two more (tags, mentor profile) only when it has tags or a
    listed mentor profile. A page: members, their tags, their mentor profiles
    (app.members.reads)."""
    plain, headers = member_with_headers(app)
    tagged = make_member(app, skills=["ink"])
    client.get(f"/api/v1/members/{plain.id}", headers=headers)  # the token remembered
    cases: list[tuple[str, dict[str, str | int], int]] = [
        (f"/api/v1/members/{plain.id}", {}, 1),
        (f"/api/v1/members/{tagged.id}", {}, 3),
        ("/api/v1/members", {"limit": 1}, 3),
        ("/api/v1/members", {"limit": 1, "role": "member"}, 3),
    ]
    for url, params, statements in cases:
        queries.reset()
        assert client.get(url, params=params, headers=headers).status_code == 200
        assert queries.count == statements, (url, queries.statements)


def test_personal_access_token_lifecycle(
    client: TestClient, app: FastAPI, session: Session
) -> None:
    _, headers = member_with_headers(app, handle="bot_owner")
    created = client.post(
        "/api/v1/members/me/tokens",
        json={"name": "Discord bot", "scopes": ["read"]},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    secret = created.json()["token"]
    assert secret.startswith("sgr_pat_")
    stored = session.exec(select(PersonalAccessToken)).one()
    assert secret not in (stored.token_hash, stored.token_hint)

    pat = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/members/me", headers=pat).json()["handle"] == "bot_owner"
    with Session(app.state.engine) as writer:
        app.state.token_uses.write(writer)  # the periodic job's work (app.principal.usage)
    listed = client.get("/api/v1/members/me/tokens", headers=headers).json()["items"]
    assert "token" not in listed[0]
    assert listed[0]["last_used_at"] is not None

    write = client.patch("/api/v1/members/me", json={"bio": "x"}, headers=pat)
    assert write.status_code == 403
    assert write.json()["code"] == "insufficient_scope"
    assert (
        client.post(
            "/api/v1/members/me/tokens", json={"name": "x", "scopes": ["write"]}, headers=pat
        ).status_code
        == 403
    )

    token_id = created.json()["id"]
    assert (
        client.delete(f"/api/v1/members/me/tokens/{token_id}", headers=headers).status_code == 204
    )
    assert client.get("/api/v1/members/me", headers=pat).status_code == 401


def test_expired_personal_token_is_refused(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    body = {"name": "old", "scopes": ["read", "write"], "expires_at": "2020-01-01T00:00:00+07:00"}
    secret = client.post("/api/v1/members/me/tokens", json=body, headers=headers).json()["token"]
    assert (
        client.get("/api/v1/members/me", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )


def test_someone_elses_token_is_not_found(client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    _, other = member_with_headers(app)
    token_id = client.post(
        "/api/v1/members/me/tokens", json={"name": "t", "scopes": ["read"]}, headers=owner
    ).json()["id"]
    assert client.get(f"/api/v1/members/me/tokens/{token_id}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/members/me/tokens/{token_id}", headers=other).status_code == 404


def test_admin_routes_refuse_organizers(client: TestClient, app: FastAPI) -> None:
    member = make_member(app)
    headers = auth_headers(app, make_member(app, role=Role.ORGANIZER))
    assert (
        client.patch(
            f"/api/v1/members/{member.id}", json={"is_active": False}, headers=headers
        ).status_code
        == 403
    )


def test_a_timestamp_outside_utc_range_is_422_not_500(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    body = {"name": "ancient", "scopes": ["read"], "expires_at": "0001-01-01T00:00:00+01:00"}
    assert client.post("/api/v1/members/me/tokens", json=body, headers=headers).status_code == 422
