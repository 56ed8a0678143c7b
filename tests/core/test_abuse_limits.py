"""Abuse limits in one process: log-in per account and per address, registration, and the
caps on pages, strings, lists and bodies. (Sharing through Redis: test_shared_limits.py.)"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from tests.challenges.helpers import create_challenge, organizer
from tests.conftest import make_settings
from tests.factories import PASSWORD, make_member, member_with_headers

TOKEN = "/api/v1/auth/token"


def _limited_app(database_url: str, **limits: str) -> FastAPI:
    return create_app(make_settings(database_url, rate_limit_enabled=True, **limits))


def _log_in(app: FastAPI, username: str, password: str, address: str) -> Any:
    with TestClient(app, client=(address, 1000)) as client:
        return client.post(TOKEN, data={"username": username, "password": password})


def _without_digits(text: str) -> str:
    return re.sub(r"\d+", "N", text)


def test_log_in_is_limited_per_account_across_addresses_without_revealing_it(
    database_url: str, engine: object
) -> None:
    app = _limited_app(database_url, rate_limit_login_account="3/hour", rate_limit_auth="50/hour")
    make_member(app, handle="ayu")
    attempts = [_log_in(app, " AYU ", "wrong", f"10.0.0.{n}").status_code for n in range(3)]
    assert attempts == [401, 401, 401]
    # The right password from a fresh address: the account's budget is spent all the same.
    locked = _log_in(app, "ayu", PASSWORD, "10.0.1.1")
    assert (locked.status_code, locked.json()["code"]) == (429, "rate_limited")
    assert locked.headers["content-type"] == "application/problem+json"
    assert 1 <= int(locked.headers["retry-after"]) <= 3600
    # An account that does not exist is answered exactly alike: nothing to learn from a 429.
    ghost = [_log_in(app, "ghost", "wrong", f"10.0.2.{n}") for n in range(4)]
    assert [r.status_code for r in ghost] == [401, 401, 401, 429]
    # Same words; the seconds may differ by one, as the two windows opened a moment apart.
    assert _without_digits(ghost[-1].json()["detail"]) == _without_digits(locked.json()["detail"])
    # Other accounts are untouched.
    make_member(app, handle="budi")
    assert _log_in(app, "budi", PASSWORD, "10.0.1.1").status_code == 200
    app.state.engine.dispose()


def test_an_accounts_email_and_handle_share_one_log_in_budget(
    database_url: str, engine: object
) -> None:
    app = _limited_app(database_url, rate_limit_login_account="3/hour", rate_limit_auth="50/hour")
    member = make_member(app, handle="sari")
    names = [member.email, "Sari", member.email.upper()]
    assert [_log_in(app, name, "wrong", "10.0.3.1").status_code for name in names] == [401] * 3
    assert _log_in(app, "sari", PASSWORD, "10.0.3.2").status_code == 429
    app.state.engine.dispose()


def test_log_in_is_limited_per_address_across_accounts(database_url: str) -> None:
    app = _limited_app(database_url, rate_limit_auth="3/hour")
    statuses = [_log_in(app, f"user{n}", "x", "10.9.9.9").status_code for n in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert _log_in(app, "user9", "x", "10.9.9.10").status_code == 401
    app.state.engine.dispose()


def test_registration_is_limited_per_address(database_url: str, engine: object) -> None:
    app = _limited_app(database_url, rate_limit_auth="2/hour")
    with TestClient(app, client=("10.8.8.8", 1)) as client:

        def register(n: int) -> int:
            body = {
                "email": f"new{n}@example.com",
                "password": "a long passphrase",
                "handle": f"new{n}",
                "display_name": f"New {n}",
            }
            return client.post("/api/v1/auth/register", json=body).status_code

        assert [register(n) for n in range(3)] == [201, 201, 429]
    app.state.engine.dispose()


def test_page_sizes_outside_1_to_100_are_refused_not_clamped(
    client: TestClient, app: FastAPI
) -> None:
    _, headers = member_with_headers(app)
    for limit in (0, 101, 10_000):
        response = client.get("/api/v1/members", params={"limit": limit}, headers=headers)
        assert response.status_code == 422, limit
        assert response.json()["errors"][0]["loc"] == ["query", "limit"]
    assert client.get("/api/v1/members", params={"limit": 100}, headers=headers).status_code == 200


def test_strings_and_lists_over_their_caps_are_422(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    long_title = {"title": "t" * 201, "body": "Hello."}
    too_long = client.post("/api/v1/threads", json=long_title, headers=headers)
    assert (too_long.status_code, too_long.json()["errors"][0]["loc"]) == (
        422,
        ["body", "title"],
    )
    challenge = create_challenge(client, organizer(app))
    urls = [f"https://img.example.com/{n}.jpg" for n in range(100)]
    many = client.post(
        f"/api/v1/challenges/{challenge['id']}/submissions",
        json={"title": "Many", "media_urls": urls},
        headers=headers,
    )
    assert (many.status_code, many.json()["errors"][0]["loc"]) == (422, ["body", "media_urls"])


def test_a_body_over_one_mebibyte_is_413_on_an_authenticated_post(
    client: TestClient, app: FastAPI
) -> None:
    _, headers = member_with_headers(app)
    body = b'{"title": "Big", "body": "' + b"a" * (1024 * 1024) + b'"}'
    response = client.post(
        "/api/v1/threads", content=body, headers={**headers, "content-type": "application/json"}
    )
    assert (response.status_code, response.json()["code"]) == (413, "body_too_large")
    exactly = b'{"title": "Fits", "body": "' + b"a" * 9_000 + b'"}'
    fits = client.post(
        "/api/v1/threads", content=exactly, headers={**headers, "content-type": "application/json"}
    )
    assert fits.status_code == 201
