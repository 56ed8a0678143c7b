from __future__ import annotations

import os
import uuid

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import make_settings
from tests.factories import auth_headers, make_member

REDIS_URL = os.environ.get("SANGGAR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _app(database_url: str, **overrides: object) -> FastAPI:
    return create_app(
        make_settings(database_url, rate_limit_enabled=True, rate_limit_auth="3/hour", **overrides)
    )


def _login(client: TestClient, username: str = "nobody") -> int:
    return client.post(
        "/api/v1/auth/token", data={"username": username, "password": "x"}
    ).status_code


def test_auth_is_limited_per_client_with_retry_after(database_url: str) -> None:
    app = _app(database_url)
    with TestClient(app) as client:
        assert [_login(client) for _ in range(3)] == [401, 401, 401]
        limited = client.post("/api/v1/auth/token", data={"username": "nobody", "password": "x"})
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "application/problem+json"
        assert limited.json()["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 3600
        # The stricter auth bucket does not spill into the rest of the API.
        assert client.get("/api/v1/members/1").status_code != 429
    app.state.engine.dispose()


def test_refresh_has_its_own_budget_and_log_in_stays_strict(database_url: str) -> None:
    app = _app(database_url, rate_limit_refresh="5/hour")
    with TestClient(app) as client:
        refreshes = [
            client.post("/api/v1/auth/refresh", json={"refresh_token": "unknown"}).status_code
            for _ in range(6)
        ]
        # More refreshes than the strict auth budget (3) pass, up to the refresh budget (5).
        assert refreshes == [401, 401, 401, 401, 401, 429]
        # Refreshing spent nothing of the log-in budget, which stays strict.
        assert [_login(client) for _ in range(4)] == [401, 401, 401, 429]
    app.state.engine.dispose()


def test_members_are_limited_per_member_not_per_address(database_url: str) -> None:
    app = _app(database_url, rate_limit_default="2/hour")
    with TestClient(app) as client:
        one, two = auth_headers(app, make_member(app)), auth_headers(app, make_member(app))
        assert [client.get("/api/v1/members/me", headers=one).status_code for _ in range(3)] == [
            200,
            200,
            429,
        ]
        assert client.get("/api/v1/members/me", headers=two).status_code == 200
        assert client.get("/healthz").status_code == 200  # operations endpoints are not limited
    app.state.engine.dispose()


@pytest.mark.skipif(
    not _redis_available() and os.environ.get("CI") != "true", reason="Redis is not reachable"
)
def test_limits_are_shared_between_instances_through_redis(database_url: str) -> None:
    namespace = uuid.uuid4().hex  # a fresh client address, so earlier runs do not count
    first, second = (_app(database_url, redis_url=REDIS_URL) for _ in range(2))
    with (
        TestClient(first, client=(namespace, 1)) as a,
        TestClient(second, client=(namespace, 2)) as b,
    ):
        # A fresh account name too: the per-account log-in limit (10 in 15 minutes) is kept in
        # the same shared Redis, and a fixed name ran out across runs and worktrees.
        assert [_login(a, namespace), _login(b, namespace), _login(a, namespace)] == [401] * 3
        assert _login(b, namespace) == 429
    for app in (first, second):
        app.state.engine.dispose()


def test_limiter_falls_back_to_memory_when_redis_is_down(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Requests still succeed, and the limits still hold: counted in this process's memory."""
    app = _app(database_url, redis_url="redis://127.0.0.1:1/0")
    with TestClient(app) as client:
        assert [_login(client) for _ in range(4)] == [401, 401, 401, 429]
    app.state.engine.dispose()
    logged = capsys.readouterr().out
    assert logged.count("rate_limit_redis_unavailable") == 1  # once per outage, not per request
