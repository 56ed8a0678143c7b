"""The principal dependencies call FastAPI's OAuth2 password scheme themselves to read the
`Authorization` header (app.principal.dependencies) instead of having the schemes solved as
dependencies; the schemes are documented on every operation that takes credentials
(app.core.openapi.accepts)."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.testclient import TestClient

from app.core.openapi import api_routes
from app.principal.dependencies import optional_principal, optional_reader
from tests.factories import member_with_headers

BOTH_SCHEMES: list[dict[str, list[str]]] = [{"OAuth2Password": []}, {"PersonalAccessToken": []}]


def test_the_bearer_scheme_is_read_in_any_case(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    token = headers["Authorization"].removeprefix("Bearer ")
    for scheme in ("Bearer", "bearer", "BEARER"):
        answer = client.get("/api/v1/members/me", headers={"Authorization": f"{scheme} {token}"})
        assert answer.status_code == 200, scheme


def test_another_scheme_is_no_credentials_and_an_empty_token_a_bad_one(
    client: TestClient,
) -> None:
    basic = {"Authorization": "Basic cmluYTpzZWNyZXQ="}
    assert client.get("/api/v1/challenges", headers=basic).status_code == 200  # anonymous
    missing = client.get("/api/v1/members/me", headers=basic)
    assert missing.headers["WWW-Authenticate"] == 'Bearer error="invalid_request"'
    empty = client.get("/api/v1/members/me", headers={"Authorization": "Bearer "})
    assert empty.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_every_operation_taking_credentials_lists_both_schemes(
    client: TestClient, app: FastAPI
) -> None:
    schema = client.get("/openapi.json").json()
    assert set(schema["components"]["securitySchemes"]) == {"OAuth2Password", "PersonalAccessToken"}
    listed = 0
    for route in api_routes(app):
        if not route.include_in_schema:
            continue
        calls = {sub.call for sub in _all(route.original_route.dependant)}
        takes_credentials = bool(calls & {optional_principal, optional_reader})
        for method in route.methods:
            security = schema["paths"][route.path_format][method.lower()].get("security")
            if takes_credentials:
                assert security in (BOTH_SCHEMES, [*BOTH_SCHEMES, {}]), route.path_format
                listed += 1
            else:
                assert security is None, route.path_format
    assert listed > 100


def _all(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _all(sub)
