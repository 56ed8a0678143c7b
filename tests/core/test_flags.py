"""A request body's boolean is JSON `true` or `false`, as the published schema says: pydantic
would take 0, 1 and 0.0 for one (schemathesis found `{"all": 0.0}` accepted)."""

from __future__ import annotations

import json
import types
from typing import Any, Union, get_args, get_origin

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, Strict, TypeAdapter, ValidationError

from app.core.openapi import api_routes
from app.core.types import Flag
from tests.factories import member_with_headers


@pytest.mark.parametrize("value", [0, 1, 0.0, 1.0, "true", "false", None])
def test_a_flag_is_only_true_or_false(value: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Flag).validate_json(_json(value))
    assert TypeAdapter(Flag).validate_json("true") is True


def _json(value: object) -> str:
    return json.dumps(value)


def test_a_number_for_a_boolean_is_refused_and_changes_nothing(
    app: FastAPI, client: TestClient
) -> None:
    _, headers = member_with_headers(app)
    refused = client.post("/api/v1/notifications/read", json={"all": 0.0}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "all"]
    assert (
        client.post("/api/v1/notifications/read", json={"all": True}, headers=headers).status_code
        == 200
    )


def _is_bool(annotation: Any) -> bool:
    if annotation is bool:
        return True
    return get_origin(annotation) in (Union, types.UnionType) and bool in get_args(annotation)


def _body_models(app: FastAPI) -> set[type[BaseModel]]:
    models = set()
    for context in api_routes(app):
        route: APIRoute = context.original_route
        if route.body_field is not None:
            kind = route.body_field.field_info.annotation
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                models.add(kind)
    return models


def test_every_boolean_of_every_request_body_is_a_flag(app: FastAPI) -> None:
    models = _body_models(app)
    assert len(models) > 20  # the walk found the bodies
    loose = [
        f"{model.__name__}.{name}"
        for model in models
        for name, field in model.model_fields.items()
        if _is_bool(field.annotation) and not any(isinstance(m, Strict) for m in field.metadata)
    ]
    assert loose == []
