"""Test fixtures: one migrated database per run, emptied after every test.

The suite runs on SQLite by default and on PostgreSQL when SANGGAR_TEST_DATABASE_URL is
set (`make test` does both). Each test starts from empty tables; tests that need real
concurrency get a live uvicorn server on the same app.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from app.core import domain_events
from app.core.config import Settings
from app.core.db import read_only
from app.core.migrations import upgrade
from app.main import create_app
from app.models import audit
from app.principal.changes import PRINCIPALS_UNCHANGED
from app.webhooks import safety
from tests.factories import QueryCounter
from tests.principal_guard import GUARD

PG_URL = os.environ.get("SANGGAR_TEST_DATABASE_URL")


def is_postgres() -> bool:
    return PG_URL is not None


def _recreate_postgres_database(url: str) -> None:
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    server, name = plain.rsplit("/", 1)
    with psycopg.connect(server + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if PG_URL is not None:
        _recreate_postgres_database(PG_URL)
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'sanggar.db'}"
    upgrade(url)
    return url


# Uploaded media of the apps tests make, never the repository's ./var/media.
MEDIA_ROOT = tempfile.mkdtemp(prefix="sanggar-test-media-")
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)


def away_from_the_hour_boundary() -> None:
    """Start a test that spends a rate-limit budget well inside a clock hour.

    The sliding-window counter keys its windows to the clock and, just after a window ends,
    rounds the previous window's weighted count down: a budget spent right before the edge is
    partly free again right after it. So tests budget per hour (never per minute) and start at
    least a minute before the hour ends. Not a timing assertion, just a safe moment to begin.
    """
    if time.time() % 3600 > 3600 - 60:
        time.sleep(3600 - time.time() % 3600 + 1)


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_key": "test-secret-key-" + "x" * 64,
        "rate_limit_enabled": False,
        # Cheap hashing keeps the suite fast; production defaults are tested in test_security.
        "password_hash_memory_kib": 1024,
        "password_hash_time_cost": 1,
        "log_json": True,
        "log_level": "WARNING",
        # Tests drive the periodic jobs directly; a background sweep would race them.
        "periodic_jobs_enabled": False,
        # A test reads right after it writes; tests/test_publiccache.py turns the cache on.
        "public_cache_seconds": 0,
        "media_storage": f"file:{MEDIA_ROOT}",
        # Mails the tests send land here, never in the repository's ./var/mail.
        "mail_url": f"file:{MEDIA_ROOT}/mail",
        # Tests assert the English texts; the Indonesian default is tested in tests/i18n.
        "default_locale": "en",
    }
    values.update(overrides)
    if values["rate_limit_enabled"]:
        away_from_the_hour_boundary()
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(scope="session")
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="session")
def engine(app: FastAPI) -> Engine:
    engine: Engine = app.state.engine
    return engine


def _empty_tables(engine: Engine) -> None:
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    with engine.begin() as connection:
        # Emptied behind the app's back: the caller clears the principal cache itself.
        connection.execution_options(**{PRINCIPALS_UNCHANGED: True})
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        # The audit log refuses DELETE (a trigger); TRUNCATE above fires no row trigger, so
        # only SQLite needs them lifted for the clean-up and put back afterwards.
        for name in audit.SQLITE_TRIGGER_NAMES:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        for table in tables:
            connection.execute(table.delete())
        connection.execute(sa.text("DELETE FROM sqlite_sequence"))
        for statement in audit.SQLITE_TRIGGERS:
            connection.exec_driver_sql(statement)


GUARD.install()


@pytest.fixture(autouse=True)
def _principals_noted() -> Iterator[None]:
    """Fails a test in which a committed transaction updated or deleted rows of members,
    personal access tokens or log-ins without `principals_changed` (tests/principal_guard.py):
    the token cache would have kept serving what it changed."""
    GUARD.violations.clear()
    yield
    found, GUARD.violations[:] = list(GUARD.violations), []
    if found:
        pytest.fail("\n\n".join(found), pytrace=False)


@pytest.fixture(autouse=True)
def _offline_webhook_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test asks a DNS server about a webhook host (schemathesis registers random URLs):
    `localhost` resolves as usual (from /etc/hosts), every other name does not resolve.
    Tests that need a public host patch `app.webhooks.safety.resolve` themselves."""
    real_resolve = safety.resolve

    def resolve(host: str, port: int) -> list[safety.IPAddress]:
        if host.lower().rstrip(".") == "localhost":
            return real_resolve(host, port)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (tests are offline)")

    monkeypatch.setattr(safety, "resolve", resolve)


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    # Any test that could reach the shared database (even through an app of its own made
    # from `database_url`) leaves it empty for the next.
    if {"engine", "client", "app", "database_url"} & set(request.fixturenames):
        _empty_tables(request.getfixturevalue("engine"))
        # Emptied behind the app's back, as another process would: ids start again, so a
        # token of the next test could be one the app still remembers (app.principal.cache).
        request.getfixturevalue("app").state.principal_cache.clear()


@pytest.fixture
def client(app: FastAPI, engine: Engine) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """For inspecting rows; begins deferred on SQLite so it never holds the write lock."""
    with Session(read_only(engine), expire_on_commit=False) as db_session:
        yield db_session


@pytest.fixture
def queries(engine: Engine) -> Iterator[QueryCounter]:
    counter = QueryCounter()
    sa.event.listen(engine, "before_cursor_execute", counter.record)
    yield counter
    sa.event.remove(engine, "before_cursor_execute", counter.record)


@pytest.fixture
def published() -> Iterator[list[domain_events.DomainEvent]]:
    """Every domain event published during the test, in the order published."""
    with domain_events.recording() as seen:
        yield seen


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(app: FastAPI) -> Iterator[str]:
    """The app served by a real uvicorn on a free port, for truly concurrent requests."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def live(live_server: str, engine: Engine) -> str:
    """The live server's URL; requesting `engine` empties the tables after the test."""
    return live_server
