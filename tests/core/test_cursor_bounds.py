"""A cursor is opaque, but a client can forge one: a time in it near datetime's limits, with
an offset that carries it past them, is 400 invalid_cursor, never a 500."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import member_with_headers


def _cursor(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00Z"]
)
def test_a_forged_time_at_datetimes_limits_is_an_invalid_cursor(
    app: FastAPI, client: TestClient, moment: str
) -> None:
    _, headers = member_with_headers(app)
    response = client.get(
        "/api/v1/notifications", params={"cursor": _cursor(moment, 1)}, headers=headers
    )
    assert response.status_code in {200, 400}, response.text
    if response.status_code == 400:
        assert response.json()["code"] == "invalid_cursor"
