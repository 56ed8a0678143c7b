"""The request's unit of work: one hop for a handler and its commit, and the admission limit
that keeps every admitted request supplied with a thread and a connection."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx2 as httpx
import pytest
import sqlalchemy as sa
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import event
from starlette.types import Receive, Scope, Send

from app.core.config import BACKGROUND_THREADS
from app.core.db import SessionDep, UnitOfWorkRoute, create_db_engine, read_only
from app.core.errors import ProblemError, install_error_handlers
from app.core.middleware import AdmissionMiddleware
from tests.conftest import is_postgres, make_settings


class _Refused(ProblemError):
    status = 409
    code = "refused"


class _RecordedRefusal(_Refused):
    persist_changes = True


def _app(database_url: str) -> tuple[FastAPI, list[tuple[str, int]]]:
    """An app with sync handlers that write a row, and a log of where each commit ran."""
    settings = make_settings(database_url)
    app = FastAPI()
    install_error_handlers(app)
    app.state.settings = settings
    app.state.engine = create_db_engine(settings)
    app.state.read_engine = read_only(app.state.engine)
    with app.state.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS uow_probe")
        connection.exec_driver_sql("CREATE TABLE uow_probe (note VARCHAR(20))")
    where: list[tuple[str, int]] = []

    @event.listens_for(app.state.engine, "commit")
    def _committed(_connection: Any) -> None:
        where.append(("commit", threading.get_ident()))

    router = APIRouter(route_class=UnitOfWorkRoute)

    def _write(session: Any, note: str) -> None:
        where.append(("handler", threading.get_ident()))
        session.execute(sa.text("INSERT INTO uow_probe (note) VALUES (:note)"), {"note": note})

    @router.post("/ok")
    def ok(session: SessionDep) -> dict[str, str]:
        _write(session, "ok")
        return {"status": "written"}

    @router.post("/refused")
    def refused(session: SessionDep) -> dict[str, str]:
        _write(session, "refused")
        raise _Refused("no")

    @router.post("/recorded")
    def recorded(session: SessionDep) -> dict[str, str]:
        _write(session, "recorded")
        raise _RecordedRefusal("no, but noted")

    app.include_router(router)
    return app, where


def _notes(app: FastAPI) -> list[str]:
    with app.state.engine.connect() as connection:
        return [row[0] for row in connection.exec_driver_sql("SELECT note FROM uow_probe")]


def test_a_handler_and_its_commit_run_in_one_worker_thread_call(database_url: str) -> None:
    app, where = _app(database_url)
    with TestClient(app) as client:
        assert client.post("/ok").json() == {"status": "written"}
    handler, commit = where
    assert handler[0] == "handler" and commit[0] == "commit"
    assert handler[1] == commit[1]  # the same thread: no second hop for the commit
    assert handler[1] != threading.get_ident()
    assert _notes(app) == ["ok"]
    app.state.engine.dispose()


def test_a_refusal_is_rolled_back_unless_it_must_be_recorded(database_url: str) -> None:
    app, _ = _app(database_url)
    with TestClient(app) as client:
        assert client.post("/refused").status_code == 409
        assert client.post("/recorded").status_code == 409
    assert _notes(app) == ["recorded"]
    app.state.engine.dispose()


def test_the_hidden_session_parameter_is_not_part_of_the_api(database_url: str) -> None:
    app, _ = _app(database_url)
    operation = app.openapi()["paths"]["/ok"]["post"]
    assert "parameters" not in operation and "requestBody" not in operation
    app.state.engine.dispose()


def test_admission_lets_no_more_than_the_limit_in_and_serves_everyone() -> None:
    inside = 0
    most = 0

    async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.01)
        inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def scenario() -> list[int]:
        transport = httpx.ASGITransport(app=AdmissionMiddleware(slow_app, limit=3))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(*(client.post("/", content=b"x") for _ in range(12)))
        return [answer.status_code for answer in answers]

    assert asyncio.run(scenario()) == [200] * 12
    assert most == 3


def test_the_pool_must_cover_every_request_in_flight_and_the_jobs(database_url: str) -> None:
    """A thread's connection for each request and job, and the read connections kept."""
    needed = 8 + BACKGROUND_THREADS + 8
    make_settings(
        database_url, max_concurrent_requests=8, database_pool_size=needed, database_max_overflow=0
    )
    with pytest.raises(ValidationError, match="database_pool_size"):
        make_settings(
            database_url,
            max_concurrent_requests=8,
            database_pool_size=needed - 1,
            database_max_overflow=0,
        )


@pytest.mark.skipif(not is_postgres(), reason="a server connection that can die: PostgreSQL")
def test_a_pooled_connection_the_server_closed_is_replaced_without_a_ping(
    database_url: str,
) -> None:
    """The pool hands out no connection the server closed while it sat idle (a restart, an
    administrator), and finds out without a query (a ping is a round trip per request)."""
    engine = create_db_engine(make_settings(database_url))
    admin = create_db_engine(make_settings(database_url))
    pings: list[object] = []
    engine.dialect.do_ping = pings.append  # type: ignore[method-assign,assignment]
    with engine.connect() as connection:
        victim = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    with admin.connect() as connection:
        connection.exec_driver_sql(f"SELECT pg_terminate_backend({victim}, 5000)")
    with engine.connect() as connection:
        replacement = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    assert replacement != victim
    assert pings == []
    engine.dispose()
    admin.dispose()
