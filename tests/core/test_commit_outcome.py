"""A connection lost during COMMIT is told apart from one lost before it: the first may have
saved the change (503 commit_outcome_unknown: retry with the same Idempotency-Key), the
second saved nothing (503 database_unavailable)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.core.db import SessionDep, UnitOfWorkRoute, create_db_engine, read_only
from app.core.errors import install_error_handlers
from tests.conftest import is_postgres, make_settings

pytestmark = pytest.mark.skipif(
    not is_postgres(), reason="a server connection that can die mid-commit: PostgreSQL"
)


def _backend_pid(connection: Any) -> int:
    pid: int = connection.connection.dbapi_connection.info.backend_pid
    return pid


def _terminate(admin: Engine, backend_pid: int) -> None:
    with admin.connect() as connection:
        connection.exec_driver_sql(f"SELECT pg_terminate_backend({backend_pid}, 5000)")


@pytest.fixture
def faulty(database_url: str) -> Iterator[tuple[FastAPI, Engine, set[str]]]:
    """An app whose connection the server ends at a chosen moment: `before` the write, or
    `during` the commit (after the transaction's statements, as COMMIT is sent)."""
    settings = make_settings(database_url)
    app = FastAPI()
    install_error_handlers(app)
    app.state.settings = settings
    app.state.engine = create_db_engine(settings)
    app.state.read_engine = read_only(app.state.engine)
    admin = create_db_engine(settings)
    with admin.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS commit_probe")
        connection.exec_driver_sql("CREATE TABLE commit_probe (note VARCHAR(20))")
    kill_at: set[str] = set()

    @event.listens_for(app.state.engine, "commit")
    def _kill_on_commit(connection: Any) -> None:
        if "during" in kill_at:
            _terminate(admin, _backend_pid(connection))

    router = APIRouter(route_class=UnitOfWorkRoute)

    @router.post("/notes")
    def write(session: SessionDep) -> dict[str, str]:
        connection = session.connection()
        if "before" in kill_at:
            _terminate(admin, _backend_pid(connection))
        connection.execute(sa.text("INSERT INTO commit_probe (note) VALUES ('x')"))
        return {"status": "written"}

    app.include_router(router)
    yield app, admin, kill_at
    app.state.engine.dispose()
    with admin.begin() as connection:
        connection.exec_driver_sql("DROP TABLE commit_probe")
    admin.dispose()


def test_a_connection_lost_during_commit_answers_that_the_outcome_is_unknown(
    faulty: tuple[FastAPI, Engine, set[str]],
) -> None:
    app, _admin, kill_at = faulty
    kill_at.add("during")
    with TestClient(app) as client:
        response = client.post("/notes")
        assert response.status_code == 503, response.text
        problem = response.json()
        assert problem["code"] == "commit_outcome_unknown"
        assert "Idempotency-Key" in problem["detail"]
        assert response.headers["Retry-After"] == "1"
        kill_at.clear()  # the pool replaced the dead connection: the next request works
        assert client.post("/notes").status_code == 200


def test_a_connection_lost_before_commit_is_database_unavailable(
    faulty: tuple[FastAPI, Engine, set[str]],
) -> None:
    app, admin, kill_at = faulty
    kill_at.add("before")
    with TestClient(app) as client:
        response = client.post("/notes")
    assert (response.status_code, response.json()["code"]) == (503, "database_unavailable")
    with admin.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM commit_probe").scalar() == 0
