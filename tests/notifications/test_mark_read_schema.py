"""`POST /notifications/read` takes `ids` or `all: true`; its published schema says the same."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from app.notifications.schemas import MarkRead

BODIES: list[dict[str, Any]] = [
    {"ids": [1, 2]},
    {"all": True},
    {"ids": [1], "all": False},
    {"ids": None, "all": True},
    {},
    {"all": False},
    {"ids": [1], "all": True},
    {"ids": None},
    {"ids": None, "all": None},
]


def _model_accepts(body: dict[str, Any]) -> bool:
    try:
        MarkRead.model_validate(body)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("body", BODIES)
def test_the_schema_accepts_exactly_what_the_model_accepts(
    app: FastAPI, body: dict[str, Any]
) -> None:
    schema = app.openapi()["components"]["schemas"]["MarkRead"]
    schema_accepts = jsonschema.Draft202012Validator(schema).is_valid(body)
    assert schema_accepts == _model_accepts(body), body
