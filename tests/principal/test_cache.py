"""The remembered token lookup (app.principal.cache): what this process changes takes effect on
the next request; what another process changes, within `auth_cache_seconds`."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, create_engine

from app.core.clock import utcnow
from app.main import create_app
from app.models import Member, Role
from app.principal.cache import PrincipalCache
from app.principal.changes import PRINCIPALS_UNCHANGED
from app.principal.tokens import ResolvedToken
from tests.conftest import make_settings
from tests.factories import TOKEN_LOOKUP, auth_headers, make_member
from tests.principal_guard import GUARD

ME = "/api/v1/members/me"


def test_a_token_seen_moments_ago_is_not_looked_up_again(
    client: TestClient, app: FastAPI, lookups: list[str]
) -> None:
    headers = auth_headers(app, make_member(app))
    for _ in range(3):
        assert client.get(ME, headers=headers).status_code == 200
    assert len(lookups) == 1


def test_what_this_process_changes_applies_to_the_next_request(
    client: TestClient, app: FastAPI, lookups: list[str]
) -> None:
    admin = auth_headers(app, make_member(app, role=Role.ADMIN))
    organizer = make_member(app, role=Role.ORGANIZER)
    as_organizer = auth_headers(app, organizer)
    assert client.post("/api/v1/invitations", headers=as_organizer).status_code == 201
    demoted = client.patch(
        f"/api/v1/members/{organizer.id}", json={"role": "member"}, headers=admin
    )
    assert demoted.status_code == 200
    assert client.post("/api/v1/invitations", headers=as_organizer).status_code == 403
    assert client.get(ME, headers=as_organizer).json()["role"] == "member"


def test_points_are_not_remembered_so_a_change_to_them_forgets_nobody(
    client: TestClient, app: FastAPI, lookups: list[str]
) -> None:
    """Every vote, comment and work moves its author's points: they are read fresh when
    shown, and changing them needs no note, so the token stays remembered."""
    earner = make_member(app)
    as_earner = auth_headers(app, earner)
    assert client.get(ME, headers=as_earner).json()["points"] == 0
    with Session(app.state.engine) as session:  # the app's engine, as recognition does
        session.execute(
            sa.update(Member).where(col(Member.id) == earner.id).values(points=7),
            execution_options={PRINCIPALS_UNCHANGED: True},
        )
        session.commit()
    assert client.get(ME, headers=as_earner).json()["points"] == 7
    assert len(lookups) == 1
    remembered = app.state.principal_cache.get(as_earner["Authorization"].split()[1])
    assert "points" in sa.inspect(remembered.member).unloaded


def test_another_process_s_change_applies_within_the_cache_seconds(database_url: str) -> None:
    app = create_app(make_settings(database_url, auth_cache_seconds=0.5))
    other_process = create_engine(database_url)  # not watched by this app's cache
    try:
        with TestClient(app) as client:
            member = make_member(app)
            headers = auth_headers(app, member)
            assert client.get(ME, headers=headers).status_code == 200
            # Another process tells nobody here: the tests' guard sees it go unnoted.
            with GUARD.watching() as unnoted, other_process.begin() as connection:
                connection.execute(
                    sa.update(Member).where(col(Member.id) == member.id).values(is_active=False)
                )
            assert len(unnoted) == 1
            assert client.get(ME, headers=headers).status_code == 200  # remembered…
            time.sleep(0.6)
            assert client.get(ME, headers=headers).status_code == 401  # …for half a second
    finally:
        other_process.dispose()
        app.state.engine.dispose()


def _remember(cache: PrincipalCache, token: str, *, expires_at: Any, since: int) -> None:
    member = Member(
        id=1, email="a@example.com", handle="a", handle_key="a", display_name="A", password_hash="x"
    )
    resolved = ResolvedToken(member, frozenset({"read"}), None, 1, expires_at, False)
    cache.remember(token, resolved, since=since)


def test_nothing_is_remembered_past_the_token_s_expiry_or_across_a_change() -> None:
    cache = PrincipalCache(seconds=60)
    _remember(cache, "expired", expires_at=utcnow(), since=cache.generation)
    assert cache.get("expired") is None
    began = cache.generation
    cache.clear()  # a change committed while the lookup ran
    _remember(cache, "stale", expires_at=None, since=began)
    assert cache.get("stale") is None
    soon = utcnow() + timedelta(seconds=0.2)
    _remember(cache, "soon", expires_at=soon, since=cache.generation)
    assert cache.get("soon") is not None
    time.sleep(0.25)
    assert cache.get("soon") is None


def test_off_when_the_setting_is_zero(database_url: str) -> None:
    app = create_app(make_settings(database_url, auth_cache_seconds=0))
    try:
        with TestClient(app) as client:
            headers = auth_headers(app, make_member(app))
            seen: list[str] = []
            sa.event.listen(
                app.state.engine,
                "before_cursor_execute",
                lambda _c, _cu, statement, *_: seen.append(statement),
            )
            for _ in range(2):
                assert client.get(ME, headers=headers).status_code == 200
            assert sum(bool(TOKEN_LOOKUP.search(s)) for s in seen) == 2
    finally:
        app.state.engine.dispose()
