"""Dates and times are RFC 3339 text, as the published `date-time`/`date` formats say, and
scheduled ones fall in the years the published pattern names (schemathesis found both)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError

from app.core.types import (
    SCHEDULE_DATE_PATTERN,
    SCHEDULE_TIME_PATTERN,
    ScheduleDate,
    ScheduleTime,
    UTCTimestamp,
)
from app.models import Role
from tests.factories import member_with_headers


def _accepts(kind: Any, value: object) -> bool:
    try:
        TypeAdapter(kind).validate_python(value)
    except ValidationError:
        return False
    return True


def test_a_number_is_no_date_time_in_a_query(client: TestClient) -> None:
    response = client.get("/api/v1/events", params={"starts_before": "0.5"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "starts_before"]


def test_a_number_is_no_date_in_a_query(app: FastAPI, client: TestClient) -> None:
    _, headers = member_with_headers(app, role=Role.ORGANIZER)
    params = {"from": "0", "to": "2026-01-31"}
    response = client.get("/api/v1/analytics/engagement", params=params, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "from"]


@pytest.mark.parametrize("value", ["0.5", 1_700_000_000, "1700000000", "2026-12-01 10:00:00Z"])
def test_unix_times_and_other_spellings_are_refused(value: object) -> None:
    assert not _accepts(UTCTimestamp, value)
    assert not _accepts(ScheduleTime, value)


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-01T10:00:00Z",
        "2026-12-01t10:00:00.25z",
        "1970-01-01T00:00:00+01:00",  # 1969 in UTC: the year written counts
        "2199-12-31T23:59:59-05:00",
        "1969-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
        "2026-13-01T10:00:00Z",
        "0.5",
    ],
)
def test_the_schedule_pattern_states_exactly_what_is_accepted(value: str) -> None:
    matches = re.fullmatch(SCHEDULE_TIME_PATTERN, value) is not None
    assert matches == _accepts(ScheduleTime, value), value


@pytest.mark.parametrize("value", ["2026-12-01", "1970-01-01", "1969-12-31", "2200-01-01", "0"])
def test_the_schedule_date_pattern_states_exactly_what_is_accepted(value: str) -> None:
    matches = re.fullmatch(SCHEDULE_DATE_PATTERN, value) is not None
    assert matches == _accepts(ScheduleDate, value), value
