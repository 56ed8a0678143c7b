"""The contract reads well for generators: rules that hold over the whole spec, so a new model
without an example, with an optional output field or an inline enum fails here."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from app.core.openapi import THIS_SERVER, build_openapi
from tests.conftest import make_settings

METHODS = {"get", "post", "put", "patch", "delete"}
COMPONENT = re.compile(r"^/components/schemas/[^/]+$")


@pytest.fixture(scope="module")
def contract(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def _operations(contract: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in contract["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def _nodes(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every JSON object in the spec with its JSON pointer."""
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            yield from _nodes(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nodes(value, f"{pointer}/{index}")


def _refs(node: Any) -> set[str]:
    return set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(node)))


def _closure(contract: dict[str, Any], names: set[str]) -> set[str]:
    components, seen, pending = contract["components"]["schemas"], set(), set(names)
    while pending:
        name = pending.pop()
        seen.add(name)
        pending |= _refs(components[name]) - seen
    return seen


def _inputs_and_outputs(contract: dict[str, Any]) -> tuple[set[str], set[str]]:
    inputs: set[str] = set()
    outputs: set[str] = set()
    for _, operation in _operations(contract):
        inputs |= _refs(operation.get("requestBody", {}))
        for status, response in operation["responses"].items():
            if int(status) < 400:
                outputs |= _refs(response.get("content", {}))
    return _closure(contract, inputs), _closure(contract, outputs)


def test_the_spec_is_valid_openapi_3_1(contract: dict[str, Any]) -> None:
    assert contract["openapi"].startswith("3.1.")
    validate(contract)


def test_every_json_response_is_a_named_model(contract: dict[str, Any]) -> None:
    for name, operation in _operations(contract):
        for status, response in operation["responses"].items():
            for media_type, media in response.get("content", {}).items():
                if media_type.endswith("json"):
                    assert "$ref" in media["schema"], f"{name} {status}: an inline schema"


def test_every_object_model_has_a_realistic_example_that_fits_it(
    contract: dict[str, Any],
) -> None:
    for name, schema in contract["components"]["schemas"].items():
        if schema.get("type") != "object" or name in {"Problem", "ValidationProblem"}:
            continue
        examples = schema.get("examples")
        assert examples, f"{name} has no example"
        validator = Draft202012Validator(
            {"$ref": f"#/components/schemas/{name}", "components": contract["components"]}
        )
        for example in examples:
            errors = [error.message for error in validator.iter_errors(example)]
            assert not errors, f"{name}'s example does not fit it: {errors}"


def test_output_fields_are_all_required(contract: dict[str, Any]) -> None:
    """An optional output field becomes `T | undefined` in a generated client."""
    _, outputs = _inputs_and_outputs(contract)
    components = contract["components"]["schemas"]
    for name in outputs:
        properties = set(components[name].get("properties", {}))
        missing = properties - set(components[name].get("required", []))
        assert not missing, f"{name}: {sorted(missing)} optional in an output"


def test_input_and_output_models_are_distinct(contract: dict[str, Any]) -> None:
    inputs, outputs = _inputs_and_outputs(contract)
    components = contract["components"]["schemas"]
    shared = {name for name in inputs & outputs if components[name].get("type") == "object"}
    assert not shared, f"models used both ways: {sorted(shared)}"


def test_there_are_no_input_output_duplicates(contract: dict[str, Any]) -> None:
    """What pydantic makes of a model used both ways (`X-Input`, `XOutput`), never ours."""
    names = set(contract["components"]["schemas"])
    for name in names:
        stem = re.sub(r"-?(Input|Output)$", "", name)
        if stem != name:
            twins = {stem, f"{stem}Input", f"{stem}Output", f"{stem}-Input", f"{stem}-Output"}
            assert not (twins - {name}) & names, f"{name} has a twin"


def test_every_enum_is_a_named_component(contract: dict[str, Any]) -> None:
    for pointer, node in _nodes(contract):
        if "enum" in node:
            assert COMPONENT.match(pointer), f"inline enum at {pointer}: name it"


def test_a_union_of_models_names_its_discriminator(contract: dict[str, Any]) -> None:
    for pointer, node in _nodes(contract):
        for keyword in ("oneOf", "anyOf"):
            models = [option for option in node.get(keyword, []) if "$ref" in option]
            if len(models) > 1:
                assert "discriminator" in node, f"{pointer}: a {keyword} without discriminator"


def test_servers_are_relative_and_start_with_the_public_url_only_when_one_is_set(
    app: FastAPI,
) -> None:
    # Relative: the docs call whatever address they were opened at (any host, port, proxy).
    assert app.openapi()["servers"] == [THIS_SERVER] == [{"url": "/", **THIS_SERVER}]
    public = FastAPI()
    public.state.settings = make_settings("sqlite://", public_base_url="https://api.sanggar.id")
    public.router = app.router
    urls = [server["url"] for server in build_openapi(public)["servers"]]
    assert urls == ["https://api.sanggar.id", "/"]


def test_security_schemes_offer_the_jwt_log_in_and_personal_tokens(
    contract: dict[str, Any],
) -> None:
    schemes = contract["components"]["securitySchemes"]
    assert schemes["OAuth2Password"]["type"] == "oauth2"
    assert schemes["OAuth2Password"]["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
    assert schemes["PersonalAccessToken"] == {
        **schemes["PersonalAccessToken"],
        "type": "http",
        "scheme": "bearer",
    }
    for name, operation in _operations(contract):
        for requirement in operation.get("security", []):
            assert set(requirement) <= set(schemes), name
