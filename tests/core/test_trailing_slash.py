"""A path with a trailing slash is a 404 with a hint, never a redirect built from the request's
Host header (which anyone can forge: an open redirect)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import member_with_headers


def test_a_trailing_slash_is_a_404_with_a_hint_not_a_redirect_to_the_host_header(
    client: TestClient, app: FastAPI
) -> None:
    _, headers = member_with_headers(app)
    response = client.get(
        "/api/v1/members/me/",
        headers={**headers, "Host": "evil.example"},
        follow_redirects=False,
    )

    assert response.status_code == 404, response.headers
    assert "location" not in response.headers
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
    assert response.json()["detail"] == "Paths have no trailing slash: try /api/v1/members/me."


def test_a_protocol_relative_path_is_no_redirect_either(client: TestClient) -> None:
    response = client.get("//evil.example/", follow_redirects=False)

    assert response.status_code == 404
    assert "location" not in response.headers


def test_an_unknown_path_with_a_slash_gets_no_hint(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here/", follow_redirects=False)

    assert response.status_code == 404
    assert "try" not in response.json()["detail"]
