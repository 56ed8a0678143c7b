"""What one process changes about who a token is reaches the others at once through Redis
(app.principal.broadcast); how long a process remembers is the poll's to say
(app.principal.polling), so a lost subscription only delays a change by a second."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, col

from app.main import create_app
from app.models import Member
from app.principal.broadcast import PrincipalBroadcast, decode, encode
from app.principal.cache import PrincipalCache
from app.principal.changes import principals_changed
from app.principal.tokens import ResolvedToken
from tests.conftest import make_settings
from tests.factories import auth_headers, make_member
from tests.processes import Redis, redis_available, wait_until

ME = "/api/v1/members/me"

needs_redis = pytest.mark.skipif(not redis_available(), reason="redis-server is not installed")


@pytest.fixture
def redis_server() -> Iterator[Redis]:
    server = Redis()
    server.start()
    yield server
    server.stop()


def _remember(cache: PrincipalCache, token: str, member_id: int) -> None:
    member = Member(
        id=member_id,
        email=f"m{member_id}@example.com",
        handle=f"m{member_id}",
        handle_key=f"m{member_id}",
        display_name="M",
        password_hash="x",
    )
    resolved = ResolvedToken(member, frozenset({"read"}), None, None, None, False)
    cache.remember(token, resolved, since=cache.generation)


def _listening(cache: PrincipalCache, redis_url: str) -> PrincipalBroadcast:
    broadcast = PrincipalBroadcast(cache, redis_url)
    broadcast.start()
    wait_until(lambda: broadcast.listening, what="the subscription")
    return broadcast


def test_a_message_reads_back_as_what_to_forget() -> None:
    assert decode(encode("p1", True)) == ("p1", True)
    assert decode(encode("p1", {3, 1})) == ("p1", {1, 3})
    assert decode(b"not json") == ("", True)  # unreadable: forget everyone, to be safe
    assert decode('{"from": "p1", "members": ["x"]}') == ("", True)


@needs_redis
def test_a_commit_in_one_process_stops_a_token_in_another_at_once(
    database_url: str, redis_server: Redis
) -> None:
    # Without the broadcast the other process would answer from memory for a minute.
    settings = make_settings(database_url, redis_url=redis_server.url, auth_cache_seconds=60)
    first, second = create_app(settings), create_app(settings)
    try:
        with TestClient(first), TestClient(second) as other:
            for app in (first, second):
                broadcast = app.state.principal_broadcast
                wait_until(lambda broadcast=broadcast: broadcast.listening, what="subscribed")
            assert second.state.principal_cache.lifetime() == 60  # no poll: its own seconds
            member = make_member(first)
            headers = auth_headers(first, member)
            assert other.get(ME, headers=headers).status_code == 200  # now remembered there

            with Session(first.state.engine) as session:  # a deactivation, committed there
                session.execute(
                    sa.update(Member).where(col(Member.id) == member.id).values(is_active=False)
                )
                principals_changed(session, member_ids=[member.id])  # type: ignore[list-item]
                session.commit()
            wait_until(
                lambda: other.get(ME, headers=headers).status_code == 401,
                what="the other process refusing the token",
                seconds=5,
            )
    finally:
        first.state.engine.dispose()
        second.state.engine.dispose()


@needs_redis
def test_members_named_are_forgotten_elsewhere_and_no_one_else(redis_server: Redis) -> None:
    here, there = PrincipalCache(10, shared_seconds=300), PrincipalCache(10, shared_seconds=300)
    broadcasts = [_listening(here, redis_server.url), _listening(there, redis_server.url)]
    try:
        _remember(there, "earner", 1)
        _remember(there, "bystander", 2)
        announce = here.announce  # what a commit here calls, set by the broadcast
        assert announce is not None
        announce({1})
        wait_until(lambda: there.get("earner") is None, what="the member forgotten there")
        assert there.get("bystander") is not None
        announce(True)
        wait_until(lambda: there.get("bystander") is None, what="everyone forgotten there")
    finally:
        for broadcast in broadcasts:
            broadcast.stop()


@needs_redis
def test_a_lost_subscription_leaves_the_lifetime_to_the_poll(redis_server: Redis) -> None:
    cache = PrincipalCache(10, shared_seconds=300)
    broadcast = _listening(cache, redis_server.url)
    try:
        assert cache.lifetime() == 10  # Redis alone does not hear a command's changes
        cache.heard(time.monotonic(), until=time.monotonic() + 60)  # what a poll says
        _remember(cache, "token", 1)
        redis_server.stop()
        wait_until(lambda: not broadcast.listening, what="the subscription lost")
        assert cache.get("token") is not None  # the poll still reads every change
        assert cache.lifetime() == 300
    finally:
        broadcast.stop()
    assert cache.announce is None


def test_no_redis_no_broadcast(database_url: str) -> None:
    app = create_app(make_settings(database_url))
    assert app.state.principal_broadcast is None
    assert app.state.principal_cache.lifetime() == app.state.settings.auth_cache_seconds
    app.state.engine.dispose()


def test_each_redis_database_has_its_own_channel() -> None:
    cache = PrincipalCache(10)
    channels = {
        PrincipalBroadcast(cache, url).channel
        for url in ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379/0", "redis://h:1/15")
    }
    assert channels == {"sanggar:0:principals", "sanggar:15:principals"}
