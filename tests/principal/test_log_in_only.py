"""Token management answers only a logged-in session, and says so to any personal token,
whatever its scopes: a read token is not sent off to look for a `write` one."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import member_with_headers

TOKENS = "/api/v1/members/me/tokens"


@pytest.mark.parametrize("scopes", [["read"], ["write"], ["read", "write"]])
def test_no_personal_token_may_mint_one_and_is_told_to_log_in(
    client: TestClient, app: FastAPI, scopes: list[str]
) -> None:
    _, session_headers = member_with_headers(app)
    secret = client.post(
        TOKENS, json={"name": "bot", "scopes": scopes}, headers=session_headers
    ).json()["token"]
    pat = {"Authorization": f"Bearer {secret}"}
    for method, path in (("POST", TOKENS), ("GET", TOKENS)):
        response = client.request(method, path, json={"name": "x", "scopes": ["read"]}, headers=pat)
        assert response.status_code == 403, (method, scopes)
        problem = response.json()
        assert problem["code"] == "insufficient_scope"
        assert "No personal access token may" in problem["detail"]
        assert "/api/v1/auth/token" in problem["detail"]
        assert "`write`" not in problem["detail"]


def test_a_read_token_writing_elsewhere_is_still_told_its_scope(
    client: TestClient, app: FastAPI
) -> None:
    _, session_headers = member_with_headers(app)
    secret = client.post(
        TOKENS, json={"name": "bot", "scopes": ["read"]}, headers=session_headers
    ).json()["token"]
    response = client.patch(
        "/api/v1/members/me", json={"bio": "x"}, headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 403
    assert "`write`" in response.json()["detail"]
