"""Two real `sanggar serve` processes share their counts through a Redis the test starts on
its own port; with that Redis stopped they keep answering (counting in memory, a warning
logged), and they use Redis again once it is back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import away_from_the_hour_boundary
from tests.processes import Redis, Server, http, redis_available, server_env, servers

pytestmark = pytest.mark.skipif(not redis_available(), reason="redis-server is not installed")


def _log_in(server: Server) -> int:
    response = http.post(
        server.url + "/api/v1/auth/token", data={"username": "nobody", "password": "x"}
    )
    assert response.status_code < 500, response.text
    return response.status_code


def test_two_processes_share_counts_through_redis_and_survive_its_outage(
    database_url: str, tmp_path: Path
) -> None:
    away_from_the_hour_boundary()
    redis = Redis()
    redis.start()
    env = server_env(
        database_url,
        rate_limit_enabled="true",
        rate_limit_auth="4/hour",
        rate_limit_login_account="1000/hour",
        redis_url=redis.url,
        rate_limit_redis_retry_seconds="0",  # try Redis on every request: see it come back
    )
    try:
        with servers(env, tmp_path, count=2) as (a, b):
            # Shared: four attempts spread over both processes spend the budget of both.
            assert [_log_in(a), _log_in(b), _log_in(a), _log_in(b)] == [401] * 4
            assert (_log_in(a), _log_in(b)) == (429, 429)

            redis.stop()
            # Degraded: each process counts in its own memory, from zero, and still limits.
            assert [_log_in(a) for _ in range(5)] == [401, 401, 401, 401, 429]
            assert _log_in(b) == 401
            assert "rate_limit_redis_unavailable" in a.log()
            assert http.get(a.url + "/healthz").status_code == 200

            redis.start()  # the same port, empty
            # Back on Redis: `a` has spent its memory budget, yet is allowed again, and the
            # count is shared once more.
            assert [_log_in(a), _log_in(b), _log_in(a), _log_in(b)] == [401] * 4
            assert (_log_in(a), _log_in(b)) == (429, 429)
            assert "rate_limit_redis_restored" in a.log()
    finally:
        redis.stop()
