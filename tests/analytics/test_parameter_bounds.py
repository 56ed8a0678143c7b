"""Every analytics parameter is bounded: a day near datetime's limits, a huge window or page
size, text where a number goes, is a 422 that says why, never a 500."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models import Role
from tests.factories import auth_headers, make_member

ENGAGEMENT = "/api/v1/analytics/engagement"
SILENT = "/api/v1/analytics/silent-members"
FADING = "/api/v1/analytics/fading-members"


@pytest.fixture
def organizer(app: FastAPI) -> dict[str, str]:
    return auth_headers(app, make_member(app, role=Role.ORGANIZER))


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("9999-12-31", "9999-12-31"),
        ("0001-01-01", "0001-01-01"),
        ("1969-12-31", "1970-01-01"),
        ("2200-01-01", "2200-01-02"),
    ],
)
def test_a_day_outside_the_supported_years_is_refused(
    client: TestClient, organizer: dict[str, str], start: str, end: str
) -> None:
    response = client.get(ENGAGEMENT, params={"from": start, "to": end}, headers=organizer)
    assert response.status_code == 422, response.text
    assert "between the years 1970 and 2199" in response.text


def test_the_last_supported_day_is_answered(client: TestClient, organizer: dict[str, str]) -> None:
    params = {"from": "2199-12-01", "to": "2199-12-31"}
    assert client.get(ENGAGEMENT, params=params, headers=organizer).status_code == 200
    params = {"from": "1970-01-01", "to": "1970-01-31"}
    assert client.get(ENGAGEMENT, params=params, headers=organizer).status_code == 200


def _text(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


def _range(start: date, days: int) -> dict[str, str]:
    end = min(max(start.toordinal() + days, 1), date.max.toordinal())
    return {"from": _text(start), "to": _text(date.fromordinal(end))}


_EDGES = st.sampled_from([date.min, date.max, date(1970, 1, 1), date(2199, 12, 31)])
_DAYS = _EDGES | st.dates()
_ANY_TEXT = st.text(max_size=12)
_NUMBER = st.integers().map(str) | st.floats().map(str) | _ANY_TEXT
_QUERIES = st.one_of(
    st.tuples(st.just(ENGAGEMENT), st.builds(_range, _DAYS, st.integers(-5, 400))),
    st.tuples(
        st.just(ENGAGEMENT),
        st.fixed_dictionaries(
            {}, optional={"from": _DAYS.map(_text) | _ANY_TEXT, "to": _DAYS.map(_text) | _ANY_TEXT}
        ),
    ),
    st.tuples(
        st.sampled_from([SILENT, FADING]),
        st.fixed_dictionaries(
            {}, optional={"days": _NUMBER, "limit": _NUMBER, "cursor": _ANY_TEXT | _NUMBER}
        ),
    ),
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=_QUERIES)
def test_no_analytics_parameter_is_a_server_error(
    client: TestClient, organizer: dict[str, str], query: tuple[str, dict[str, Any]]
) -> None:
    path, params = query
    response = client.get(path, params=params, headers=organizer)
    assert response.status_code < 500, (path, params, response.text)
