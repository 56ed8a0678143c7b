"""Series: occurrences on the wall clock, listing a series, editing this or following."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.recurrence import Frequency, Repeat, series_starts
from tests.events.helpers import (
    EVENTS,
    create_event,
    local_time,
    notification_types,
    organizer_headers,
    rsvp,
)
from tests.factories import member_with_headers

BERLIN = ZoneInfo("Europe/Berlin")


def test_weekly_series_keeps_the_local_hour_across_daylight_saving() -> None:
    first = datetime(2026, 10, 15, 19, tzinfo=BERLIN)  # summer time; winter from Oct 25
    starts = series_starts(
        first.astimezone(UTC), Repeat(frequency=Frequency.WEEKLY, count=4), zone=BERLIN
    )
    local = [s.astimezone(BERLIN) for s in starts]
    assert [(t.day, t.hour) for t in local] == [(15, 19), (22, 19), (29, 19), (5, 19)]
    assert [s.hour for s in starts] == [17, 17, 18, 18]  # the UTC hour moves instead


def test_monthly_series_clamps_to_the_end_of_short_months() -> None:
    first = datetime(2027, 1, 31, 10, tzinfo=UTC)
    starts = series_starts(first, Repeat(frequency=Frequency.MONTHLY, count=4))
    assert [(s.month, s.day) for s in starts] == [(1, 31), (2, 28), (3, 31), (4, 30)]


def test_quarterly_is_monthly_with_interval_three() -> None:
    first = datetime(2027, 1, 15, 10, tzinfo=UTC)
    repeat = Repeat(frequency=Frequency.MONTHLY, interval=3, count=4)
    assert [s.month for s in series_starts(first, repeat)] == [1, 4, 7, 10]


def _series(client: TestClient, headers: dict[str, str], **overrides: Any) -> list[dict[str, Any]]:
    """Creates a weekly series of five and returns its occurrences in order."""
    response = client.post(
        EVENTS,
        json=_body(repeat={"frequency": "weekly", "count": 5}, **overrides),
        headers=headers,
    )
    assert response.status_code == 201, response.text
    first = response.json()
    assert response.headers["location"] == f"/api/v1/events/{first['id']}"
    return _occurrences(client, headers, first["series_id"])


def _body(**overrides: Any) -> dict[str, Any]:
    starts = local_time(7)
    return {
        "title": "Sketch night",
        "description": "Draw together; bring anything.",
        "kind": "sharing_session",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "timezone": "Asia/Jakarta",
        "status": "published",
        **overrides,
    }


def _occurrences(client: TestClient, headers: dict[str, str], series_id: int) -> list[Any]:
    response = client.get(EVENTS, params={"series_id": series_id}, headers=headers)
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_creating_a_series_returns_the_first_occurrence(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    occurrences = _series(client, organizer)
    assert len(occurrences) == 5
    assert occurrences[0]["series_id"] == occurrences[0]["id"]
    assert len({o["series_id"] for o in occurrences}) == 1
    starts = [datetime.fromisoformat(o["starts_at"]) for o in occurrences]
    assert [b - a for a, b in pairwise(starts)] == [timedelta(weeks=1)] * 4
    jakarta = ZoneInfo("Asia/Jakarta")
    assert {s.astimezone(jakarta).hour for s in starts} == {19}
    create_event(client, organizer)  # not part of the series
    assert len(_occurrences(client, organizer, occurrences[0]["series_id"])) == 5


def test_editing_this_occurrence_leaves_the_rest_alone(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    occurrences = _series(client, organizer)
    third = occurrences[2]
    response = client.patch(
        f"{EVENTS}/{third['id']}", json={"title": "Sketch night: portraits"}, headers=organizer
    )
    assert response.status_code == 200
    titles = [o["title"] for o in _occurrences(client, organizer, third["series_id"])]
    assert titles == ["Sketch night"] * 2 + ["Sketch night: portraits"] + ["Sketch night"] * 2


def test_editing_this_and_following_shifts_the_later_occurrences(
    client: TestClient, app: FastAPI
) -> None:
    organizer = organizer_headers(app)
    occurrences = _series(client, organizer, capacity=10)
    third = occurrences[2]
    new_start = datetime.fromisoformat(third["starts_at"]) - timedelta(minutes=30)
    response = client.patch(
        f"{EVENTS}/{third['id']}",
        params={"scope": "following"},
        json={
            "title": "Sketch night (new room)",
            "venue": "Studio B",
            "starts_at": new_start.isoformat(),
            "ends_at": (new_start + timedelta(hours=3)).isoformat(),
        },
        headers=organizer,
    )
    assert response.status_code == 200, response.text
    assert response.json()["id"] == third["id"]
    after = _occurrences(client, organizer, third["series_id"])
    for before, now in zip(occurrences, after, strict=True):
        old_start = datetime.fromisoformat(before["starts_at"])
        start, end = (
            datetime.fromisoformat(now["starts_at"]),
            datetime.fromisoformat(now["ends_at"]),
        )
        if before["starts_at"] < third["starts_at"]:
            assert now == before
        else:
            assert (now["title"], now["venue"], now["sequence"]) == (
                "Sketch night (new room)",
                "Studio B",
                1,
            )
            assert start == old_start - timedelta(minutes=30)
            assert end - start == timedelta(hours=3)


def test_cancelling_this_and_following_notifies_their_attendees(
    client: TestClient, app: FastAPI
) -> None:
    organizer = organizer_headers(app)
    occurrences = _series(client, organizer)
    _, member = member_with_headers(app)
    rsvp(client, occurrences[0]["id"], member)
    rsvp(client, occurrences[3]["id"], member)
    response = client.patch(
        f"{EVENTS}/{occurrences[1]['id']}",
        params={"scope": "following"},
        json={"status": "cancelled"},
        headers=organizer,
    )
    assert response.status_code == 200
    statuses = [o["status"] for o in _occurrences(client, organizer, occurrences[0]["series_id"])]
    assert statuses == ["published"] + ["cancelled"] * 4
    assert notification_types(client, member).count("event.cancelled") == 1


def test_a_refusal_on_one_following_occurrence_changes_none(
    client: TestClient, app: FastAPI
) -> None:
    organizer = organizer_headers(app)
    occurrences = _series(client, organizer, capacity=3)
    for headers in (member_with_headers(app)[1] for _ in range(2)):
        rsvp(client, occurrences[4]["id"], headers)
    response = client.patch(
        f"{EVENTS}/{occurrences[2]['id']}",
        params={"scope": "following"},
        json={"capacity": 1},
        headers=organizer,
    )
    assert (response.status_code, response.json()["code"]) == (409, "capacity_below_going")
    capacities = [
        o["capacity"] for o in _occurrences(client, organizer, occurrences[0]["series_id"])
    ]
    assert capacities == [3] * 5


def test_deleting_this_and_following(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    occurrences = _series(client, organizer)
    response = client.delete(
        f"{EVENTS}/{occurrences[3]['id']}", params={"scope": "following"}, headers=organizer
    )
    assert response.status_code == 204
    left = _occurrences(client, organizer, occurrences[0]["series_id"])
    assert [o["id"] for o in left] == [o["id"] for o in occurrences[:3]]
    this_only = client.delete(f"{EVENTS}/{occurrences[0]['id']}", headers=organizer)
    assert this_only.status_code == 204
    left = _occurrences(client, organizer, occurrences[0]["series_id"])
    assert [o["id"] for o in left] == [o["id"] for o in occurrences[1:3]]


def test_unknown_scope_is_422(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer)
    response = client.patch(
        f"{EVENTS}/{event['id']}", params={"scope": "all"}, json={}, headers=organizer
    )
    assert response.status_code == 422
