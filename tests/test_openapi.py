"""The committed contract is the app's contract, and it reads well for generated clients."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi import FastAPI

from app.cli import render_openapi
from app.core.migrations import PROJECT_ROOT

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def contract(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def _operations(contract: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in contract["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_committed_openapi_matches_the_app(contract: dict[str, Any]) -> None:
    committed = (PROJECT_ROOT / "openapi" / "openapi.json").read_text()
    assert json.loads(committed) == contract, "run `make openapi` and commit openapi/openapi.json"
    assert committed == render_openapi(contract)


def test_every_operation_has_one_tag_and_a_readable_unique_id(contract: dict[str, Any]) -> None:
    seen: set[str] = set()
    for path, method, operation in _operations(contract):
        assert len(operation.get("tags", [])) == 1, f"{method} {path}"
        tag = operation["tags"][0]
        operation_id = operation["operationId"]
        assert re.fullmatch(rf"{tag}_[a-z][a-z0-9_]*", operation_id), operation_id
        assert operation_id not in seen, operation_id
        seen.add(operation_id)
        assert operation.get("summary") and operation.get("description"), operation_id


def test_every_error_is_declared_as_problem_json(contract: dict[str, Any]) -> None:
    for path, method, operation in _operations(contract):
        responses = operation["responses"]
        assert "500" in responses, f"{method} {path}"
        if path.startswith("/api/"):
            assert "429" in responses, f"{method} {path}"
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= set(responses), f"{method} {path}"
        for status, response in responses.items():
            if int(status) >= 400:
                schema = response["content"]["application/problem+json"]["schema"]["$ref"]
                assert schema.endswith("/ValidationProblem" if status == "422" else "/Problem")


def test_operations_with_credentials_declare_401(contract: dict[str, Any]) -> None:
    for path, method, operation in _operations(contract):
        if operation.get("security"):
            assert "401" in operation["responses"], f"{method} {path}"


def _output_schemas(contract: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for _, _, operation in _operations(contract):
        for status, response in operation["responses"].items():
            for media in response.get("content", {}).values():
                ref = media.get("schema", {}).get("$ref")
                if ref and int(status) < 400:
                    names.add(ref.rsplit("/", 1)[1])
    return names


def _referenced(schema: dict[str, Any]) -> set[str]:
    text = json.dumps(schema)
    return {ref.rsplit("/", 1)[1] for ref in re.findall(r'"\$ref": "([^"]+)"', text)}


def test_output_models_have_every_field_required(contract: dict[str, Any]) -> None:
    """Generated TypeScript clients turn optional fields into `T | undefined`."""
    components = contract["components"]["schemas"]
    pending, checked = _output_schemas(contract), set()
    while pending:
        name = pending.pop()
        checked.add(name)
        schema = components[name]
        properties = set(schema.get("properties", {}))
        assert properties <= set(schema.get("required", [])), name
        pending |= _referenced(schema) - checked


def test_schema_names_are_clean(contract: dict[str, Any]) -> None:
    for name in contract["components"]["schemas"]:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", name), name


def test_swagger_authorize_uses_the_password_flow(contract: dict[str, Any]) -> None:
    schemes = contract["components"]["securitySchemes"]
    assert schemes["OAuth2Password"]["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
    assert schemes["PersonalAccessToken"]["scheme"] == "bearer"


# Responses with `items` that are not lists: a single resource whose items are its parts
# (an anthology's works, in book order), and a fixed checklist of six steps in a fixed order.
NOT_LISTS = {
    "anthologies_get": "a book's works are one resource, never paged",
    "members_first_steps": "a fixed checklist, always whole",
}


def test_every_list_is_a_cursor_page_of_one_to_a_hundred(contract: dict[str, Any]) -> None:
    """A generated client pages every list with one helper: `{items, next_cursor}`, with
    `limit` 1-100 and `cursor`; catalogues included."""
    components = contract["components"]["schemas"]
    lists = []
    for path, method, operation in _operations(contract):
        content = operation["responses"].get("200", {}).get("content", {})
        ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
        properties = components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
        if method != "get" or "items" not in properties:
            continue
        if operation["operationId"] in NOT_LISTS:
            continue
        lists.append(operation["operationId"])
        assert "next_cursor" in properties, f"{method} {path}: no next_cursor"
        parameters = {p["name"]: p for p in operation.get("parameters", [])}
        assert "cursor" in parameters, f"{method} {path}: no cursor"
        limit = parameters.get("limit", {}).get("schema", {})
        assert (limit.get("minimum"), limit.get("maximum")) == (1, 100), f"{method} {path}"
    assert {"badges_list", "mentors_suggestions", "members_list"} <= set(lists)
