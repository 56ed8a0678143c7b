from __future__ import annotations

import gc

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from app.main import create_app
from app.models import Role
from tests.conftest import make_settings
from tests.factories import member_with_headers

PROBLEM_FIELDS = {"type", "title", "status", "detail", "code"}


def test_unknown_path_is_a_problem(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.json()) == PROBLEM_FIELDS
    assert response.json()["code"] == "not_found"


def test_wrong_method_is_a_problem(client: TestClient) -> None:
    response = client.put("/api/v1/notifications/read")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "POST" in response.headers["allow"]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        # One route per method on this path, and its URL also matches /members/{member_id}.
        ("OPTIONS", "/api/v1/members/me", "GET, PATCH"),
        ("TRACE", "/api/v1/members/me", "GET, PATCH"),
        ("PUT", "/api/v1/challenges", "GET, POST"),
        ("POST", "/api/v1/members/7", "GET, PATCH"),
        # The URL matches /events/{event_id} too; the literal `.ics` is more specific.
        ("OPTIONS", "/api/v1/events/5.ics", "GET"),
    ],
)
def test_405_allow_lists_exactly_the_methods_of_the_path(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow


def test_a_method_the_named_file_lacks_is_405_not_422(app: FastAPI, client: TestClient) -> None:
    """`PATCH /events/5.ics` also matches `/events/{event_id}`, whose integer id it fails."""
    _, headers = member_with_headers(app, role=Role.ADMIN)
    for path in ("/api/v1/events/5.ics", "/api/v1/anthologies/5.epub"):
        response = client.patch(path, headers=headers, json={})
        assert response.status_code == 405, path
        assert response.headers["allow"] == "GET"
    # A bad id on a path that has the method stays a 422.
    assert client.patch("/api/v1/members/abc", headers=headers, json={}).status_code == 422


def test_validation_error_lists_the_fields(client: TestClient) -> None:
    response = client.post("/api/v1/auth/register", json={"email": "x"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "validation_failed"
    fields = {tuple(issue["loc"]) for issue in problem["errors"]}
    assert ("body", "password") in fields
    assert ("body", "handle") in fields


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_out_of_range_ids_are_422_not_500(client: TestClient) -> None:
    for member_id in ("0", "-1", str(2**63), "abc"):
        assert client.get(f"/api/v1/members/{member_id}").status_code == 422, member_id


def test_a_failed_commit_is_never_answered_2xx(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    before = client.get("/api/v1/members/me", headers=headers).json()
    event.listen(Session, "before_commit", _refuse)
    try:
        response = client.patch("/api/v1/members/me", json={"bio": "lost?"}, headers=headers)
    finally:
        event.remove(Session, "before_commit", _refuse)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"]
    assert client.get("/api/v1/members/me", headers=headers).json()["bio"] == before["bio"]


def _refuse(_session: Session) -> None:
    raise RuntimeError("the database went away during commit")


def test_unexpected_errors_are_problems_with_request_id(database_url: str) -> None:
    app = create_app(make_settings(database_url))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-ID": "trace-me-123"})
    app.state.engine.dispose()
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "bug" not in response.text
    assert response.headers["x-request-id"] == "trace-me-123"


@pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)
def test_a_lock_wait_that_times_out_is_a_retryable_503(database_url: str) -> None:
    """A request stuck behind a row lock gives up with 503 + Retry-After (PostgreSQL)."""
    import sqlalchemy as sa

    from tests.conftest import is_postgres
    from tests.factories import member_with_headers as make

    if not is_postgres():
        pytest.skip("SQLite's busy timeout is 30 s; the lock timeout is PostgreSQL's")
    app = create_app(make_settings(database_url, database_lock_timeout_ms=200))
    try:
        member, headers = make(app)
        with app.state.engine.connect() as holder, TestClient(app) as client:
            holder.execute(
                sa.text("SELECT 1 FROM members WHERE id = :id FOR UPDATE"), {"id": member.id}
            )
            response = client.patch("/api/v1/members/me", json={"bio": "waiting"}, headers=headers)
            holder.rollback()
        assert response.status_code == 503
        assert response.json()["code"] == "database_busy"
        assert response.headers["retry-after"] == "1"
    finally:
        from tests.conftest import _empty_tables

        _empty_tables(app.state.engine)
        app.state.engine.dispose()
        # The cancelled statement's connection is only released when collected; collect it
        # here, inside this test's warning filter.
        gc.collect()


def test_a_string_over_its_limit_is_told_in_characters(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    response = client.post(
        "/api/v1/threads", json={"title": "t" * 201, "body": "Hello."}, headers=headers
    )
    assert response.status_code == 422
    issue = response.json()["errors"][0]
    assert issue["loc"] == ["body", "title"]
    assert issue["msg"] == "String should have at most 200 characters"
    assert issue["type"] == "string_too_long"
    blank = client.post("/api/v1/threads", json={"title": "", "body": "Hello."}, headers=headers)
    assert "items" not in blank.json()["errors"][0]["msg"]
