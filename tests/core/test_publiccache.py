"""The public cache answers repeated anonymous GETs of cacheable paths without the app."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel

from app.core.http import json_response
from app.core.publiccache import MAX_ENTRIES, PublicCacheMiddleware


class Page(BaseModel):
    served: int


def _app(ttl: float = 60) -> tuple[FastAPI, list[int]]:
    calls: list[int] = []
    app = FastAPI()

    @app.get("/api/v1/showcase")
    def showcase(request: Request) -> Response:
        calls.append(1)
        return json_response(request, Page(served=len(calls)))

    @app.get("/api/v1/challenges/{challenge_id}/results")
    def results(request: Request, challenge_id: int) -> Response:
        calls.append(1)
        if challenge_id == 409:
            return Response(status_code=409)
        return json_response(request, Page(served=len(calls)))

    @app.get("/api/v1/members")
    def members(request: Request) -> Response:
        calls.append(1)
        return json_response(request, Page(served=len(calls)))

    app.add_middleware(PublicCacheMiddleware, ttl=ttl)
    return app, calls


def test_a_repeat_is_answered_from_the_cache_with_cache_control_and_etag() -> None:
    app, calls = _app()
    with TestClient(app) as client:
        first = client.get("/api/v1/showcase?limit=20")
        second = client.get("/api/v1/showcase?limit=20")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() == {"served": 1}
    assert len(calls) == 1
    for response in (first, second):
        assert response.headers["cache-control"] == "public, max-age=60"
        assert response.headers["etag"] == first.headers["etag"]


def test_if_none_match_with_the_current_etag_gets_304_from_the_cache() -> None:
    app, calls = _app()
    with TestClient(app) as client:
        etag = client.get("/api/v1/challenges/1/results").headers["etag"]
        revalidated = client.get("/api/v1/challenges/1/results", headers={"If-None-Match": etag})
        other = client.get("/api/v1/challenges/1/results", headers={"If-None-Match": '"old"'})
    assert revalidated.status_code == 304
    assert revalidated.content == b""
    assert revalidated.headers["etag"] == etag
    assert other.status_code == 200
    assert len(calls) == 1


@pytest.mark.parametrize(
    "headers", [{"Authorization": "Bearer sgr_pat_x"}, {"Cookie": "session=1"}]
)
def test_requests_with_credentials_always_reach_the_app(headers: dict[str, str]) -> None:
    app, _calls = _app()
    with TestClient(app) as client:
        client.get("/api/v1/showcase", headers=headers)
        response = client.get("/api/v1/showcase", headers=headers)
    assert response.json() == {"served": 2}
    assert "cache-control" not in response.headers


def test_other_paths_query_strings_and_errors_are_not_shared() -> None:
    app, calls = _app()
    with TestClient(app) as client:
        client.get("/api/v1/members")
        assert client.get("/api/v1/members").json() == {"served": 2}  # not a cacheable path
        client.get("/api/v1/showcase?limit=5")
        assert client.get("/api/v1/showcase?limit=6").json() == {"served": 4}  # own entry
        client.get("/api/v1/challenges/409/results")
        assert client.get("/api/v1/challenges/409/results").status_code == 409
    assert len(calls) == 6  # the 409 was not cached


def test_an_entry_expires_after_the_ttl() -> None:
    app, _calls = _app(ttl=0.01)
    with TestClient(app) as client:
        client.get("/api/v1/showcase")
        deadline = time.monotonic() + 0.02
        while time.monotonic() < deadline:  # waiting out the TTL, not timing the code
            time.sleep(0.005)
        assert client.get("/api/v1/showcase").json() == {"served": 2}


def test_the_cache_holds_a_bounded_number_of_entries() -> None:
    app, _calls = _app()
    with TestClient(app) as client:
        for n in range(MAX_ENTRIES + 10):
            client.get(f"/api/v1/showcase?page={n}")
    stack = app.middleware_stack
    while stack is not None and not isinstance(stack, PublicCacheMiddleware):
        stack = getattr(stack, "app", None)
    assert isinstance(stack, PublicCacheMiddleware)
    assert len(stack.entries) == MAX_ENTRIES
