"""Every process hears the others' changes to who a token is by reading `principal_changes`
(app.principal.polling): the tests drive one read at a time with `poll()`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, cast

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.core import periodic
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import create_db_engine, read_only
from app.main import create_app
from app.members import service as members
from app.models import Member, PrincipalChange
from app.principal import polling
from app.principal.cache import PrincipalCache
from app.principal.changes import principals_changed
from app.principal.polling import PrincipalChangesPoll
from app.principal.tokens import ResolvedToken
from tests.conftest import is_postgres, make_settings
from tests.factories import auth_headers, make_member
from tests.processes import wait_until

ME = "/api/v1/members/me"
CHANGES = cast(sa.Table, PrincipalChange.__table__)  # type: ignore[attr-defined]


@pytest.fixture
def other_process(settings: Settings) -> Iterator[Engine]:
    """An engine of its own, as another app process or a `sanggar` command has: the app's
    cache hears nothing of its commits but what it reads from the table."""
    engine = create_db_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def poll(app: FastAPI) -> Iterator[PrincipalChangesPoll]:
    """The app's cache, heard through a poll the test drives (the app's own is not started:
    the tests' apps run no periodic work)."""
    cache: PrincipalCache = app.state.principal_cache
    reader = PrincipalChangesPoll(cache, app.state.read_engine)
    reader.poll()
    yield reader
    cache.deaf()  # the other tests' cache remembers briefly again, and nothing heard here


def _remember(cache: PrincipalCache, token: str, member_id: int) -> None:
    member = Member(
        id=member_id,
        email="m@example.com",
        handle="m",
        handle_key="m",
        display_name="M",
        password_hash="x",
    )
    resolved = ResolvedToken(member, frozenset({"read"}), None, None, None, False)
    cache.remember(token, resolved, since=cache.generation)


def _change_rows(engine: Engine) -> list[tuple[int, int | None]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(CHANGES.c.id, CHANGES.c.member_id).order_by("id"))
        return [(row.id, row.member_id) for row in rows]


def _insert_change(engine: Engine, **values: Any) -> None:
    with engine.begin() as connection:
        connection.execute(CHANGES.insert(), values)


def test_a_change_writes_its_rows_in_its_own_transaction(app: FastAPI) -> None:
    first, second = make_member(app), make_member(app)
    engine: Engine = app.state.engine
    with Session(engine) as session:
        principals_changed(session, member_ids=[first.id])  # type: ignore[list-item]
        session.rollback()
    assert _change_rows(engine) == []  # rolled back: nothing for the others to hear
    with Session(engine) as session:
        principals_changed(session, member_ids=[second.id, first.id])  # type: ignore[list-item]
        principals_changed(session, member_ids=[first.id])  # type: ignore[list-item]
        principals_changed(session, member_ids=[])
        session.commit()
    assert [member for _, member in _change_rows(engine)] == [first.id, second.id]
    with Session(engine) as session:
        principals_changed(session)
        principals_changed(session, member_ids=[first.id])  # type: ignore[list-item]
        session.commit()
    assert [member for _, member in _change_rows(engine)][2:] == [None]  # everyone, once


def test_a_deactivation_in_another_process_stops_the_token_at_the_next_read(
    app: FastAPI, client: TestClient, poll: PrincipalChangesPoll, other_process: Engine
) -> None:
    member = make_member(app)
    headers = auth_headers(app, member)
    assert client.get(ME, headers=headers).status_code == 200  # now remembered here
    assert poll.cache.lifetime() == app.state.settings.auth_cache_shared_seconds

    with Session(other_process) as session:
        session.execute(
            sa.update(Member).where(col(Member.id) == member.id).values(is_active=False)
        )
        principals_changed(session, member_ids=[member.id])  # type: ignore[list-item]
        session.commit()
    assert client.get(ME, headers=headers).status_code == 200  # remembered: not read yet

    poll.poll()
    assert client.get(ME, headers=headers).status_code == 401


def test_a_token_revoked_by_a_command_stops_working_at_the_next_read(
    app: FastAPI, client: TestClient, poll: PrincipalChangesPoll, other_process: Engine
) -> None:
    member = make_member(app)
    headers = auth_headers(app, member)
    answer = client.post(
        "/api/v1/members/me/tokens", headers=headers, json={"name": "ci", "scopes": ["read"]}
    )
    token_id, secret = answer.json()["id"], answer.json()["token"]
    pat = {"Authorization": f"Bearer {secret}"}
    assert client.get(ME, headers=pat).status_code == 200
    bystander = make_member(app)
    bystander_headers = auth_headers(app, bystander)
    assert client.get(ME, headers=bystander_headers).status_code == 200

    with Session(other_process) as session:  # what a command does: a service, committed
        members.delete_token(session, member=member, token_id=token_id)
        session.commit()
    poll.poll()
    assert client.get(ME, headers=pat).status_code == 401
    assert poll.cache.get(bystander_headers["Authorization"].removeprefix("Bearer ")) is not None


def test_a_change_committed_after_a_newer_one_is_still_heard(
    app: FastAPI, poll: PrincipalChangesPoll, other_process: Engine
) -> None:
    # PostgreSQL hands out ids when rows are written, not when they commit: change 50 can be
    # read, then change 40 appear, stamped before the read that already saw 50.
    cache = poll.cache
    _remember(cache, "late", 1)
    _remember(cache, "early", 2)
    stamped = utcnow()
    _insert_change(other_process, id=50, member_id=2, created_at=stamped)
    poll.poll()
    assert cache.get("early") is None and cache.get("late") is not None

    _insert_change(other_process, id=40, member_id=1, created_at=stamped - timedelta(seconds=1))
    _remember(cache, "early", 2)
    poll.poll()
    assert cache.get("late") is None
    assert cache.get("early") is not None  # change 50 was applied once, not again


@pytest.mark.skipif(not is_postgres(), reason="SQLite commits one writer at a time, in id order")
def test_two_transactions_committing_out_of_order_are_both_heard(
    app: FastAPI, poll: PrincipalChangesPoll, other_process: Engine
) -> None:
    cache = poll.cache
    _remember(cache, "first", 1)
    _remember(cache, "second", 2)
    with other_process.connect() as slow, other_process.connect() as quick:
        slow.begin()
        slow.execute(CHANGES.insert(), {"member_id": 1, "created_at": utcnow()})  # the lower id
        with quick.begin():
            quick.execute(CHANGES.insert(), {"member_id": 2, "created_at": utcnow()})
        poll.poll()
        assert cache.get("second") is None and cache.get("first") is not None
        slow.commit()
    poll.poll()
    assert cache.get("first") is None


def test_a_failed_read_forgets_everything_and_remembers_briefly(
    app: FastAPI, poll: PrincipalChangesPoll, tmp_path: Any
) -> None:
    cache, engine = poll.cache, poll.engine
    _remember(cache, "token", 1)
    broken = create_db_engine(make_settings(f"sqlite:///{tmp_path}/missing/dir/x.db"))
    poll.engine = read_only(broken)
    try:
        with pytest.raises(sa.exc.OperationalError):
            poll.poll()
        assert cache.get("token") is None  # it may have been kept for the shared lifetime
        assert cache.lifetime() == app.state.settings.auth_cache_seconds
    finally:
        poll.engine = engine
        broken.dispose()
    _remember(cache, "token", 1)
    poll.poll()  # heard again: what changed while unheard is unknown, so forgotten too
    assert cache.get("token") is None
    assert cache.lifetime() == app.state.settings.auth_cache_shared_seconds


def test_without_a_recent_read_nothing_is_answered_from_memory() -> None:
    cache = PrincipalCache(10, shared_seconds=300)
    cache.heard(0.0, until=1.0)  # a read that began long ago, vouching until long ago
    _remember(cache, "token", 1)
    assert cache.get("token") is None  # the thread stopped reading: no answer kept for 300 s
    assert not cache.hearing and cache.lifetime() == 10


def test_the_poll_thread_hears_until_stopped(app: FastAPI) -> None:
    cache = PrincipalCache(10, shared_seconds=300)
    reader = PrincipalChangesPoll(cache, app.state.read_engine)
    reader.start()
    wait_until(lambda: cache.hearing, what="the first read")
    reader.stop()
    assert not cache.hearing and cache.lifetime() == 10


def test_old_changes_are_pruned(app: FastAPI) -> None:
    engine: Engine = app.state.engine
    now = utcnow()
    _insert_change(
        engine, member_id=1, created_at=now - timedelta(seconds=polling.KEEP_SECONDS + 1)
    )
    _insert_change(engine, member_id=2, created_at=now)
    periodic.run_once(engine, periodic.JOBS["principal-changes-prune"])
    assert [member for _, member in _change_rows(engine)] == [2]


def test_an_app_without_the_cache_reads_nothing(database_url: str) -> None:
    app = create_app(make_settings(database_url, auth_cache_seconds=0))
    assert app.state.principal_poll is None
    app.state.engine.dispose()


def test_forgetting_a_member_forgets_each_of_their_tokens_and_no_one_else_s() -> None:
    cache = PrincipalCache(10)
    for token, member_id in (("one", 1), ("two", 1), ("three", 1), ("solo", 2), ("other", 3)):
        _remember(cache, token, member_id)
    cache.forget({1, 2})
    assert [t for t in ("one", "two", "three", "solo", "other") if cache.get(t)] == ["other"]
