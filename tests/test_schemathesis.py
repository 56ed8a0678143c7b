"""Property-based tests of every operation against the published contract (schemathesis).

Each operation gets generated valid and invalid requests, as an admin (who may reach every
route) and as an anonymous visitor; none may answer 5xx, and every answer must match the
status codes, content types, headers and schemas the OpenAPI document declares.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.models import Role
from tests.factories import auth_headers, make_member

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


@pytest.fixture
def api_schema(app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture
def admin_headers(app: FastAPI, engine: Any) -> dict[str, str]:
    return auth_headers(app, make_member(app, role=Role.ADMIN))


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@HYPOTHESIS
def test_every_operation_keeps_its_contract_for_admins(
    case: Any, admin_headers: dict[str, str]
) -> None:
    case.call_and_validate(headers={**admin_headers, **(case.headers or {})}, checks=CHECKS)


@schema.parametrize()
@HYPOTHESIS
def test_every_operation_keeps_its_contract_for_visitors(case: Any, engine: Any) -> None:
    case.call_and_validate(checks=CHECKS)
