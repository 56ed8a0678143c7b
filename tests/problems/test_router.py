"""GET /problems/{code}: a problem's `type` URI resolves, to HTML or JSON."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.problem_catalogue import CATALOGUE
from tests.conftest import make_settings

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_code_is_described_as_json_by_default(client: TestClient) -> None:
    for accept in (None, "*/*", "application/json"):
        headers = {"Accept": accept} if accept else {}
        response = client.get("/problems/vote_budget_exhausted", headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {
            "code": "vote_budget_exhausted",
            "status": 409,
            "title": CATALOGUE["vote_budget_exhausted"].title,
            "description": CATALOGUE["vote_budget_exhausted"].description,
        }
        assert "Accept" in response.headers["vary"]


def test_a_browser_gets_a_page_that_loads_nothing_from_outside(client: TestClient) -> None:
    response = client.get("/problems/etag_mismatch", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<h1>Stale version</h1>" in page and "<code>If-Match</code>" in page
    assert "412" in page
    # Offline: no script, stylesheet, image or font from anywhere.
    assert not re.search(r"<(script|link|img)\b", page)
    assert "//" not in page


def test_an_unknown_code_is_a_404_problem(client: TestClient) -> None:
    for accept in ("application/json", BROWSER):
        response = client.get("/problems/no_such_code", headers={"Accept": accept})
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"


def test_every_problem_type_resolves_to_its_description(client: TestClient, app: FastAPI) -> None:
    """The `type` of an error a client gets is where its code is described."""
    cases = [
        client.get("/api/v1/members"),  # 401
        client.get("/api/v1/members/999999"),  # 404 of a feature
        client.get("/api/v1/events", params={"limit": 0}),  # 422 of the framework
        client.put("/healthz"),  # 405
    ]
    for response in cases:
        problem = response.json()
        assert problem["type"] == f"http://testserver/problems/{problem['code']}", problem
        assert problem["title"] == CATALOGUE[problem["code"]].title
        described = client.get(problem["type"])
        assert described.status_code == 200, problem
        assert described.json()["status"] == response.status_code


def test_problem_types_name_the_public_base_url(database_url: str) -> None:
    from app.main import create_app

    settings = make_settings(database_url, public_base_url="https://community.example/sanggar")
    with TestClient(create_app(settings)) as client:
        problem = client.get("/api/v1/members").json()
    assert problem["type"] == "https://community.example/sanggar/problems/unauthorized"


def test_the_codes_are_listed_a_page_at_a_time(client: TestClient) -> None:
    codes: list[str] = []
    params: dict[str, str | int] = {"limit": 40}
    while True:
        page = client.get("/problems", params=params).json()
        codes += [item["code"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert codes == list(CATALOGUE)
    index = client.get("/problems", params={"limit": 100}, headers={"Accept": BROWSER})
    assert index.headers["content-type"].startswith("text/html")
    # A page holds at most 100 codes: the catalogue has more.
    assert all(f'href="problems/{code}"' in index.text for code in list(CATALOGUE)[:100])
