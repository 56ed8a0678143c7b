"""Each kind of change to who a token is reaches the token cache through the unit of work
(app.principal.changes): the next request of that member is looked up again and sees it,
and a transaction that rolls back makes the cache forget nothing."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col

from app.core.clock import utcnow
from app.core.db import end_transaction
from app.core.errors import Conflict
from app.core.security import hash_secret
from app.models import ContributionKind, Member, PersonalAccessToken, RefreshToken, Role
from app.principal.changes import principals_changed
from app.recognition import service as recognition
from app.recognition.points import POINTS
from tests.factories import auth_headers, make_member, tokens_for

ME = "/api/v1/members/me"
Headers = dict[str, str]


def _remembered(client: TestClient, headers: Headers, lookups: list[str]) -> None:
    """The token is in the cache: a second request runs no lookup."""
    assert client.get(ME, headers=headers).status_code == 200
    seen = len(lookups)
    assert client.get(ME, headers=headers).status_code == 200
    assert len(lookups) == seen


def _admin(client: TestClient, app: FastAPI, lookups: list[str]) -> Headers:
    headers = auth_headers(app, make_member(app, role=Role.ADMIN))
    _remembered(client, headers, lookups)
    return headers


def test_a_role_change_is_seen_at_the_member_s_next_request(
    client: TestClient, app: FastAPI, lookups: list[str]
) -> None:
    admin = _admin(client, app, lookups)
    member = make_member(app)
    headers = auth_headers(app, member)
    _remembered(client, headers, lookups)
    changed = client.patch(
        f"/api/v1/members/{member.id}", json={"role": "organizer"}, headers=admin
    )
    assert changed.status_code == 200
    seen = len(lookups)
    assert client.get(ME, headers=headers).json()["role"] == "organizer"
    assert len(lookups) == seen + 1  # looked up again; the admin who changed it was not
    assert client.get(ME, headers=admin).status_code == 200
    assert len(lookups) == seen + 1


def test_a_deactivation_stops_the_member_s_tokens_at_once(
    client: TestClient, app: FastAPI, lookups: list[str]
) -> None:
    admin = _admin(client, app, lookups)
    member = make_member(app)
    headers = auth_headers(app, member)
    _remembered(client, headers, lookups)
    changed = client.patch(f"/api/v1/members/{member.id}", json={"is_active": False}, headers=admin)
    assert changed.status_code == 200
    assert client.get(ME, headers=headers).status_code == 401


def test_a_profile_edit_is_seen_by_the_next_request(
    client: TestClient, app: FastAPI, lookups: list[str]
) -> None:
    headers = auth_headers(app, make_member(app))
    _remembered(client, headers, lookups)
    assert client.patch(ME, json={"display_name": "Renamed"}, headers=headers).status_code == 200
    assert client.get(ME, headers=headers).json()["display_name"] == "Renamed"


def test_a_revoked_personal_token_stops_at_once(
    client: TestClient, app: FastAPI, lookups: list[str]
) -> None:
    session = auth_headers(app, make_member(app))
    body = {"name": "bot", "scopes": ["read"]}
    created = client.post("/api/v1/members/me/tokens", json=body, headers=session).json()
    token = {"Authorization": f"Bearer {created['token']}"}
    _remembered(client, token, lookups)
    deleted = client.delete(f"/api/v1/members/me/tokens/{created['id']}", headers=session)
    assert deleted.status_code == 204
    assert client.get(ME, headers=token).status_code == 401


def test_an_ended_log_in_stops_at_once(
    client: TestClient, app: FastAPI, lookups: list[str]
) -> None:
    pair = tokens_for(app, make_member(app))
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    _remembered(client, headers, lookups)
    ended = client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert ended.status_code == 204
    assert client.get(ME, headers=headers).status_code == 401


def test_a_reused_refresh_token_stops_the_log_in_s_access_tokens_at_once(
    client: TestClient, app: FastAPI, lookups: list[str]
) -> None:
    pair = tokens_for(app, make_member(app))
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    _remembered(client, headers, lookups)
    body = {"refresh_token": pair["refresh_token"]}
    assert client.post("/api/v1/auth/refresh", json=body).status_code == 200
    with Session(app.state.engine) as session:  # the grace window for a second exchange ends
        session.execute(
            sa.update(RefreshToken)
            .where(col(RefreshToken.token_hash) == hash_secret(pair["refresh_token"]))
            .values(used_at=utcnow() - timedelta(minutes=5))
        )
        session.commit()
    assert client.post("/api/v1/auth/refresh", json=body).status_code == 401  # reused: revoked
    assert client.get(ME, headers=headers).status_code == 401


def test_points_earned_are_seen_at_once(
    client: TestClient, app: FastAPI, lookups: list[str]
) -> None:
    """Points are not remembered with the token (app.principal.changes.UNREMEMBERED): the
    next request shows them, and both members are still remembered."""
    earner, other = make_member(app), make_member(app)
    as_earner, as_other = auth_headers(app, earner), auth_headers(app, other)
    _remembered(client, as_earner, lookups)
    _remembered(client, as_other, lookups)
    with Session(app.state.engine) as session:  # as a subscriber records a contribution
        recognition.record(
            session,
            member_id=earner.id,  # type: ignore[arg-type]
            kind=ContributionKind.IDEA,
            source_id=1,
            occurred_at=utcnow(),
        )
        session.commit()
    seen = len(lookups)
    assert client.get(ME, headers=as_other).status_code == 200
    assert len(lookups) == seen  # the other member is still remembered
    assert client.get(ME, headers=as_earner).json()["points"] == POINTS[ContributionKind.IDEA]
    assert len(lookups) == seen  # and the earner too: points need no note


def test_a_change_rolled_back_forgets_nothing(
    client: TestClient, app: FastAPI, lookups: list[str]
) -> None:
    member = make_member(app)
    headers = auth_headers(app, member)
    _remembered(client, headers, lookups)
    with Session(app.state.engine) as session:
        session.execute(
            sa.update(Member).where(col(Member.id) == member.id).values(role=Role.ADMIN)
        )
        principals_changed(session, member_ids=[member.id])  # type: ignore[list-item]
        principals_changed(session)  # everyone, too
        session.rollback()
    seen = len(lookups)
    assert client.get(ME, headers=headers).json()["role"] == "member"
    assert len(lookups) == seen  # still remembered


def test_a_request_that_fails_forgets_nothing(
    client: TestClient, app: FastAPI, lookups: list[str]
) -> None:
    """The unit of work ends a failed request's transaction with a rollback, and drops
    what it noted; a success tells the cache."""
    member = make_member(app)
    headers = auth_headers(app, member)
    _remembered(client, headers, lookups)
    for error, looked_up in ((Conflict("refused"), 0), (None, 1)):
        with Session(app.state.engine) as session:
            session.execute(
                sa.update(Member).where(col(Member.id) == member.id).values(bio="changed")
            )
            principals_changed(session, member_ids=[member.id])  # type: ignore[list-item]
            end_transaction(session, error)
        seen = len(lookups)
        assert client.get(ME, headers=headers).status_code == 200
        assert len(lookups) == seen + looked_up


def test_writing_a_token_s_last_use_forgets_nobody(
    client: TestClient, app: FastAPI, lookups: list[str]
) -> None:
    """The stamp changes nobody's rights: after the job writes it the token is still
    answered from memory."""
    session = auth_headers(app, make_member(app))
    body = {"name": "bot", "scopes": ["read"]}
    created = client.post("/api/v1/members/me/tokens", json=body, headers=session).json()
    token = {"Authorization": f"Bearer {created['token']}"}
    _remembered(client, token, lookups)
    with Session(app.state.engine) as writer:
        app.state.token_uses.write(writer)  # the periodic job's work
        stamp = writer.get(PersonalAccessToken, created["id"])
        assert stamp is not None and stamp.last_used_at is not None
    seen = len(lookups)
    assert client.get(ME, headers=token).status_code == 200
    assert len(lookups) == seen
