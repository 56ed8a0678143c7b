"""PrefixRouting: a path is tried against the routes it can be; every route answers as before."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match
from starlette.types import Scope

from app.core.routing import PrefixRouting, ResourceRouter


def _app() -> tuple[FastAPI, ResourceRouter]:
    alpha = ResourceRouter(prefix="/alpha")
    beta = ResourceRouter(prefix="/beta")

    @alpha.get("/{item_id}")
    async def alpha_get(item_id: int) -> dict[str, int]:
        return {"alpha": item_id}

    @beta.get("")
    async def beta_list() -> dict[str, str]:
        return {"beta": "all"}

    @beta.get(".txt")
    async def beta_text() -> dict[str, str]:
        return {"beta": "text"}

    app = FastAPI()
    for router in (alpha, beta):
        app.include_router(router, prefix="/api/v1")
    app.router.middleware_stack = PrefixRouting(app.router)
    return app, alpha


def test_its_routes_answer_and_mismatches_keep_their_statuses() -> None:
    app, _ = _app()
    with TestClient(app) as client:
        assert client.get("/api/v1/alpha/7").json() == {"alpha": 7}
        assert client.get("/api/v1/beta").json() == {"beta": "all"}
        assert client.get("/api/v1/beta.txt").json() == {"beta": "text"}
        assert client.post("/api/v1/beta").status_code == 405
        assert client.get("/api/v1/alpha/x").status_code == 422
        assert client.get("/api/v1/gamma").status_code == 404
        redirect = client.get("/api/v1/beta/", follow_redirects=False)
        assert redirect.status_code == 307
        assert redirect.headers["location"].endswith("/api/v1/beta")


def test_a_path_without_a_routers_prefix_never_tries_its_routes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, alpha = _app()
    (route,) = alpha.routes
    tried: list[str] = []
    original = route.matches

    def counting(scope: Scope) -> tuple[Match, Scope]:
        tried.append(scope["path"])
        return original(scope)

    monkeypatch.setattr(route, "matches", counting)
    with TestClient(app) as client:
        assert client.get("/api/v1/beta").status_code == 200  # alpha comes first
        assert tried == []
        assert client.get("/api/v1/alpha/3").json() == {"alpha": 3}
        assert tried != []


def test_a_route_added_after_the_first_request_is_routed() -> None:
    app, _ = _app()
    with TestClient(app) as client:
        assert client.get("/api/v1/gamma").status_code == 404

        @app.get("/api/v1/gamma")
        async def gamma() -> dict[str, str]:
            return {"gamma": "here"}

        assert client.get("/api/v1/gamma").json() == {"gamma": "here"}
