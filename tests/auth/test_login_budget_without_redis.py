"""The per-account log-in budget holds across processes without Redis: while Redis is
unreachable (or not configured) the attempts are counted in the database every process
shares, not in each process's memory (which gave a guesser one budget per process)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.main import create_app
from app.models import LoginAttempt
from tests.conftest import _free_port, make_settings
from tests.factories import PASSWORD, make_member

TOKEN = "/api/v1/auth/token"


def _process(database_url: str, redis_url: str | None) -> FastAPI:
    """An app process of its own (its own memory, pools and limiter) on the shared database."""
    settings = make_settings(
        database_url,
        rate_limit_enabled=True,
        rate_limit_login_account="4/hour",
        rate_limit_auth="100/hour",
        redis_url=redis_url,
    )
    return create_app(settings)


@pytest.fixture(params=["redis unreachable", "no redis"])
def two_processes(
    request: pytest.FixtureRequest, database_url: str, engine: Engine
) -> Iterator[tuple[TestClient, TestClient]]:
    # A port nothing listens on: every Redis call is refused.
    redis_url = f"redis://127.0.0.1:{_free_port()}/15" if request.param != "no redis" else None
    first, second = _process(database_url, redis_url), _process(database_url, redis_url)
    with (
        TestClient(first, client=("10.0.0.1", 1000)) as one,
        TestClient(second, client=("10.0.0.2", 1000)) as other,
    ):
        yield one, other
    for app in (first, second):
        app.state.engine.dispose()


def _app_of(client: TestClient) -> FastAPI:
    app = client.app
    assert isinstance(app, FastAPI)
    return app


def _log_in(client: TestClient, username: str, password: str) -> Any:
    return client.post(TOKEN, data={"username": username, "password": password})


def test_two_processes_share_one_log_in_budget_per_account(
    two_processes: tuple[TestClient, TestClient], engine: Engine
) -> None:
    first, second = two_processes
    make_member(_app_of(first), handle="wulan")
    answers = [_log_in(c, "wulan", "wrong").status_code for c in (first, second, first, second)]
    assert answers == [401, 401, 401, 401]
    # Each process has seen two attempts, the account four: both refuse the fifth.
    for client in (first, second):
        refused = _log_in(client, "wulan", PASSWORD)
        assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited"), refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= 3600
    # A name of no account has a budget of its own, answered alike.
    ghost = [_log_in(client, "nobody", "wrong").status_code for client in (first, second)]
    assert ghost == [401, 401]
    with engine.connect() as connection:
        kept = connection.execute(sa.text("SELECT count(*) FROM login_attempts")).scalar()
    assert kept == 6  # refused attempts are not kept: they would only lengthen the wait


def test_attempts_that_left_the_window_are_forgotten(
    two_processes: tuple[TestClient, TestClient], engine: Engine
) -> None:
    first, second = two_processes
    make_member(_app_of(first), handle="dewi")
    for client in (first, second, first, second):
        assert _log_in(client, "dewi", "wrong").status_code == 401
    with Session(engine) as session:  # an hour passes
        for attempt in session.exec(select(LoginAttempt)):
            attempt.attempted_at -= timedelta(hours=1, seconds=1)
        session.commit()
    assert _log_in(second, "dewi", PASSWORD).status_code == 200
    with Session(engine) as session:
        kept = session.exec(select(LoginAttempt)).all()
    assert len(kept) == 1  # the old ones were swept by the next count
