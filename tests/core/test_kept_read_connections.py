"""PostgreSQL's read models run on connections kept open between reads
(app.readmodels.KeptConnections): no checkout per read, a connection the server closed is
replaced before it is used, and no more than `most` are kept; the reads run in threads of
their own, with the request's context variables."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from app.core.db import read_only
from app.readmodels import KeptConnections
from tests.challenges.helpers import create_challenge, organizer, submit
from tests.conftest import is_postgres
from tests.factories import member_with_headers

pytestmark = pytest.mark.skipif(not is_postgres(), reason="PostgreSQL's read connections")


@pytest.fixture
def checkouts(engine: Engine) -> Iterator[list[object]]:
    seen: list[object] = []

    def record(*_: Any) -> None:
        seen.append(1)

    event.listen(engine, "checkout", record)
    yield seen
    event.remove(engine, "checkout", record)


def _backend(connection: Connection) -> int:
    return int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def test_reads_take_no_connection_from_the_pool_once_one_is_kept(
    app: FastAPI, client: TestClient, checkouts: list[object]
) -> None:
    challenge = create_challenge(client, organizer(app))
    _, headers = member_with_headers(app)
    work = submit(client, challenge["id"], headers)
    path = f"/api/v1/submissions/{work['id']}"
    assert client.get(path, headers=headers).status_code == 200
    checkouts.clear()
    answers = [client.get(path, headers=headers).status_code for _ in range(5)]
    assert answers == [200] * 5
    assert checkouts == []


def test_a_kept_connection_the_server_closed_is_replaced_before_it_is_used(
    engine: Engine,
) -> None:
    kept = KeptConnections(read_only(engine), most=2)
    try:
        first = kept.run(_backend, (), {})
        with engine.connect() as other:  # the server ends the idle kept connection
            other.exec_driver_sql(f"SELECT pg_terminate_backend({first})")
        _wait_until_gone(engine, first)
        second = kept.run(_backend, (), {})  # no error: a fresh connection
        assert second != first
        assert kept.run(_backend, (), {}) == second  # and that one is kept
    finally:
        kept.close()


def test_no_more_than_most_are_kept(engine: Engine) -> None:
    kept = KeptConnections(read_only(engine), most=1)
    checked_out = engine.pool.checkedout()  # type: ignore[attr-defined]

    def two_at_once(connection: Connection) -> tuple[int, int]:
        return _backend(connection), kept.run(_backend, (), {})

    try:
        outer, inner = kept.run(two_at_once, (), {})
        assert outer != inner
        assert engine.pool.checkedout() == checked_out + 1  # type: ignore[attr-defined]
        assert kept.run(_backend, (), {}) in {outer, inner}
    finally:
        kept.close()
    assert engine.pool.checkedout() == checked_out  # type: ignore[attr-defined]


def test_a_failed_read_gives_its_connection_back_to_the_pool(engine: Engine) -> None:
    kept = KeptConnections(read_only(engine), most=1)
    checked_out = engine.pool.checkedout()  # type: ignore[attr-defined]

    def fails(connection: Connection) -> None:
        connection.exec_driver_sql("SELECT 1/0")

    with pytest.raises(sa.exc.DataError):
        kept.run(fails, (), {})
    assert engine.pool.checkedout() == checked_out  # type: ignore[attr-defined]
    kept.close()


_ASKED_BY: ContextVar[str] = ContextVar("asked_by", default="nobody")


def _thread_and_asker(connection: Connection) -> tuple[str, str, int]:
    return threading.current_thread().name, _ASKED_BY.get(), _backend(connection)


def test_reads_run_in_their_own_threads_with_the_callers_context(engine: Engine) -> None:
    kept = KeptConnections(read_only(engine), most=2)

    async def read_as(asker: str) -> tuple[str, str, int]:
        _ASKED_BY.set(asker)
        return await kept.run_in_thread(_thread_and_asker, (), {})

    try:
        thread, asker, _ = asyncio.run(read_as("a request"))
        assert thread.startswith("sanggar-read")
        assert asker == "a request"
        kept.close()  # threads and connections ended; reads after it get fresh ones
        thread, asker, _ = asyncio.run(read_as("a later request"))
        assert thread.startswith("sanggar-read")
        assert asker == "a later request"
    finally:
        kept.close()


def _wait_until_gone(engine: Engine, backend: int) -> None:
    query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
    for _ in range(200):
        with engine.connect() as connection:
            if connection.execute(query, {"pid": backend}).scalar_one() == 0:
                return
    raise AssertionError(f"backend {backend} still there")
