"""ResourceRouter: foreign paths are refused at once; its own routes answer as before."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match
from starlette.types import Scope

from app.core.routing import ResourceRouter


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


def test_a_path_without_its_prefix_is_refused_before_any_route_is_tried(
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
