"""Quick reads (`app.core.db.quick_read`) run on the event loop on SQLite, and in a worker
thread on PostgreSQL or when the request does more than a quick read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio.to_thread
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.core.db import create_db_engine, read_only
from app.readmodels import KeptConnections
from tests.factories import TOKEN_LOOKUP, auth_headers, make_member


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The functions sent to a worker thread while a test runs (anyio's, or the threads
    of PostgreSQL's read models)."""
    sent: list[str] = []
    real = anyio.to_thread.run_sync
    real_read = KeptConnections.run_in_thread

    async def counting(function: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(function, "__qualname__", repr(function)))
        return await real(function, *args, **kwargs)

    async def counting_read(kept: KeptConnections, work: Any, *args: Any) -> Any:
        sent.append(getattr(work, "__qualname__", repr(work)))
        return await real_read(kept, work, *args)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    monkeypatch.setattr(KeptConnections, "run_in_thread", counting_read)
    yield sent


def test_quick_reads_take_no_thread_on_sqlite_and_one_elsewhere(
    client: TestClient, app: FastAPI, engine: Engine, hops: list[str]
) -> None:
    headers = auth_headers(app, make_member(app))
    assert client.get("/api/v1/members/me", headers=headers).status_code == 200  # remembered
    hops.clear()
    for path in ("/api/v1/members/me", "/api/v1/members?limit=5", "/api/v1/showcase"):
        assert client.get(path, headers=headers).status_code == 200, path
    expected = 0 if engine.dialect.name == "sqlite" else 3
    assert len(hops) == expected, hops


def test_a_filtered_directory_and_a_write_keep_their_thread(
    client: TestClient, app: FastAPI, hops: list[str]
) -> None:
    headers = auth_headers(app, make_member(app))
    assert client.get("/api/v1/members/me", headers=headers).status_code == 200
    hops.clear()
    assert client.get("/api/v1/members?q=ri", headers=headers).status_code == 200
    assert (
        client.patch("/api/v1/members/me", json={"bio": "hi"}, headers=headers).status_code == 200
    )
    assert len(hops) == 2, hops


def test_reads_on_postgresql_send_no_begin_or_commit(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads keep a deferred transaction (one snapshot for the request)")
    with read_only(engine).connect() as reader, engine.connect() as writer:
        reader.exec_driver_sql("SELECT 1")
        writer.exec_driver_sql("SELECT 1")
        # After a statement the reader's server session is idle: no BEGIN went before it.
        status = {
            c: c.connection.dbapi_connection.info.transaction_status.name  # type: ignore[union-attr]
            for c in (reader, writer)
        }
        assert status == {reader: "IDLE", writer: "INTRANS"}


def test_one_pooled_connection_reads_in_autocommit_and_writes_in_transactions(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read engine's autocommit is set on the driver's connection, not by SQLAlchemy's
    isolation_level option (which set it and reset it at every checkout and return); the
    same connection, handed to a write next, runs in a transaction."""
    if settings.is_sqlite:
        pytest.skip("PostgreSQL's read engine")
    engine = create_db_engine(
        settings.model_copy(update={"database_pool_size": 1, "database_max_overflow": 0})
    )
    isolation_levels: list[str] = []
    for name in ("set_isolation_level", "reset_isolation_level"):
        monkeypatch.setattr(engine.dialect, name, lambda *_, n=name: isolation_levels.append(n))

    def status(connection: sa.Connection) -> str:
        connection.exec_driver_sql("SELECT 1")
        driver: Any = connection.connection.dbapi_connection
        return str(driver.info.transaction_status.name)

    try:
        seen = []
        for reads in (True, False, True, True, False):
            with (read_only(engine) if reads else engine).connect() as connection:
                seen.append(status(connection))
        assert seen == ["IDLE", "INTRANS", "IDLE", "IDLE", "INTRANS"]
        assert isolation_levels == []
    finally:
        engine.dispose()


def test_a_token_lookup_takes_no_thread_on_sqlite_and_stays_out_of_a_write_transaction(
    client: TestClient, app: FastAPI, engine: Engine, hops: list[str]
) -> None:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    reader = auth_headers(app, make_member(app))  # never seen: not remembered
    writer = auth_headers(app, make_member(app))
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get("/api/v1/members/me", headers=reader).status_code == 200
        read_hops = list(hops)
        hops.clear()
        statements.clear()
        patched = client.patch("/api/v1/members/me", json={"bio": "hi"}, headers=writer)
        assert patched.status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    lookup = next(i for i, s in enumerate(statements) if TOKEN_LOOKUP.search(s))
    if engine.dialect.name != "sqlite":
        assert (len(read_hops), len(hops)) == (2, 2), (read_hops, hops)  # lookup, handler
        return
    assert (read_hops, len(hops)) == ([], 1), (read_hops, hops)  # the handler's only
    # The write lock is taken after the lookup, not held across it and the hop.
    assert lookup < statements.index("BEGIN IMMEDIATE"), statements


def test_read_models_read_without_a_transaction(
    client: TestClient, app: FastAPI, engine: Engine
) -> None:
    """A read model's statements each read alone (app.readmodels): no BEGIN on SQLite, as
    none on PostgreSQL, where the read engine runs in autocommit."""
    member = make_member(app)
    headers = auth_headers(app, member)
    profile = f"/api/v1/members/{member.id}"
    assert client.get(profile, headers=headers).status_code == 200  # the token remembered
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(profile, headers=headers).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert statements, "the profile was read"
    assert not [s for s in statements if s.lstrip().upper().startswith("BEGIN")], statements
