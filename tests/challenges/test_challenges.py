"""Challenges over HTTP: creation and series, validation, phases that follow the clock."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.challenges.helpers import (
    CHALLENGES,
    SUBMISSIONS,
    challenge_body,
    create_challenge,
    move_to,
    organizer,
    submit,
)
from tests.factories import QueryCounter, member_with_headers


def test_organizer_creates_a_challenge_with_defaults(client: TestClient, app: FastAPI) -> None:
    response = client.post(CHALLENGES, json=challenge_body("open"), headers=organizer(app))
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"{CHALLENGES}/{body['id']}"
    assert body["phase"] == "open"
    assert (
        body["max_submissions_per_member"],
        body["votes_per_member"],
        body["winners_count"],
    ) == (
        1,
        3,
        3,
    )
    assert (body["submission_count"], body["participant_count"], body["series_id"]) == (0, 0, None)
    assert body["submissions_open_at"].endswith("Z")


def test_members_cannot_create_challenges(client: TestClient, app: FastAPI) -> None:
    _, member = member_with_headers(app)
    assert client.post(CHALLENGES, json=challenge_body(), headers=member).status_code == 403
    assert client.post(CHALLENGES, json=challenge_body()).status_code == 401


def test_dates_out_of_order_are_refused(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    body = challenge_body("open", voting_close_at=challenge_body("open")["submissions_close_at"])
    response = client.post(CHALLENGES, json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "voting_close_at"]
    swapped = challenge_body("open")
    swapped["submissions_open_at"], swapped["submissions_close_at"] = (
        swapped["submissions_close_at"],
        swapped["submissions_open_at"],
    )
    assert client.post(CHALLENGES, json=swapped, headers=headers).status_code == 422
    far = challenge_body("open", submissions_open_at="0001-01-01T00:00:00+01:00")
    assert client.post(CHALLENGES, json=far, headers=headers).status_code == 422


def test_an_edit_that_breaks_the_date_order_is_refused(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers)
    late_open = {"submissions_open_at": challenge["voting_close_at"]}
    response = client.patch(f"{CHALLENGES}/{challenge['id']}", json=late_open, headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "dates_out_of_order"


def test_the_phase_follows_the_dates(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers, "upcoming")
    assert challenge["phase"] == "upcoming"
    for phase in ("open", "voting", "closed", "open"):
        move_to(client, headers, challenge["id"], phase)
        assert client.get(f"{CHALLENGES}/{challenge['id']}").json()["phase"] == phase


def test_drafts_are_seen_by_organizers_only(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    draft = create_challenge(client, headers, published=False)
    assert draft["phase"] == "draft"
    _, member = member_with_headers(app)
    assert client.get(f"{CHALLENGES}/{draft['id']}", headers=member).status_code == 404
    assert client.get(f"{CHALLENGES}/{draft['id']}").status_code == 404
    assert client.get(CHALLENGES, headers=member).json()["items"] == []
    listed = client.get(CHALLENGES, params={"phase": "draft"}, headers=headers).json()["items"]
    assert [c["id"] for c in listed] == [draft["id"]]


def test_list_filters_by_phase_and_discipline_newest_first(
    client: TestClient, app: FastAPI
) -> None:
    headers = organizer(app)
    made = {
        phase: create_challenge(client, headers, phase)
        for phase in ("upcoming", "open", "voting", "closed")
    }
    writing = create_challenge(client, headers, "open", discipline="writing")
    for phase, challenge in made.items():
        listed = client.get(CHALLENGES, params={"phase": phase, "discipline": "photography"})
        assert [c["id"] for c in listed.json()["items"]] == [challenge["id"]], phase
    everything = client.get(CHALLENGES).json()["items"]
    opens = [datetime.fromisoformat(c["submissions_open_at"]) for c in everything]
    assert opens == sorted(opens, reverse=True)
    assert len(everything) == 5
    by_discipline = client.get(CHALLENGES, params={"discipline": "writing"}).json()["items"]
    assert [c["id"] for c in by_discipline] == [writing["id"]]


def test_list_pages_with_a_cursor(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    ids = {create_challenge(client, headers)["id"] for _ in range(5)}
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(CHALLENGES, params=params).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)


def test_list_queries_do_not_grow_with_the_page(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    headers = organizer(app)
    for _ in range(8):
        create_challenge(client, headers)

    def count(limit: int) -> int:
        queries.reset()
        response = client.get(CHALLENGES, params={"limit": limit}, headers=headers)
        assert len(response.json()["items"]) == limit
        return queries.count

    assert count(2) == count(8)


def test_a_weekly_series_shifts_every_date(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    repeat = {"frequency": "weekly", "interval": 2, "count": 3}
    first = create_challenge(client, headers, "upcoming", repeat=repeat)
    series = client.get(CHALLENGES, params={"series_id": first["id"]}).json()["items"]
    assert len(series) == 3
    assert {c["series_id"] for c in series} == {first["id"]}
    ordered = sorted(series, key=lambda c: c["submissions_open_at"])
    for field in ("submissions_open_at", "submissions_close_at", "voting_close_at"):
        times = [datetime.fromisoformat(c[field]) for c in ordered]
        assert [b - a for a, b in itertools.pairwise(times)] == [timedelta(weeks=2)] * 2


def test_a_monthly_series_keeps_the_day_clamped_to_the_month(
    client: TestClient, app: FastAPI
) -> None:
    headers = organizer(app)
    body: dict[str, Any] = {
        "submissions_open_at": "2031-01-31T10:00:00Z",
        "submissions_close_at": "2031-02-01T09:00:00Z",
        "voting_close_at": "2031-02-03T09:00:00Z",
        "repeat": {"frequency": "monthly", "count": 3},
    }
    first = create_challenge(client, headers, "open", **body)
    series = client.get(CHALLENGES, params={"series_id": first["id"]}).json()["items"]
    opens = sorted(c["submissions_open_at"] for c in series)
    assert opens == ["2031-01-31T10:00:00Z", "2031-02-28T10:00:00Z", "2031-03-31T10:00:00Z"]
    assert all(c["submissions_open_at"] < c["submissions_close_at"] for c in series)


def test_a_series_is_stepped_on_the_utc_clock(client: TestClient, app: FastAPI) -> None:
    # A challenge has no time zone: given in Berlin summer time, its series keeps the UTC
    # hour when Berlin's clocks go back on 26 October 2031.
    body: dict[str, Any] = {
        "submissions_open_at": "2031-10-16T19:00:00+02:00",
        "submissions_close_at": "2031-10-17T19:00:00+02:00",
        "voting_close_at": "2031-10-18T19:00:00+02:00",
        "repeat": {"frequency": "weekly", "count": 3},
    }
    first = create_challenge(client, organizer(app), "open", **body)
    series = client.get(CHALLENGES, params={"series_id": first["id"]}).json()["items"]
    opens = sorted(c["submissions_open_at"] for c in series)
    assert opens == ["2031-10-16T17:00:00Z", "2031-10-23T17:00:00Z", "2031-10-30T17:00:00Z"]


def test_edits_need_a_current_etag(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers)
    url = f"{CHALLENGES}/{challenge['id']}"
    etag = client.get(url).headers["etag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    first = client.patch(url, json={"theme": "Dusk"}, headers={**headers, "If-Match": etag})
    assert first.status_code == 200
    stale = client.patch(url, json={"theme": "Noon"}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412
    assert client.get(url).json()["theme"] == "Dusk"


def test_only_an_upcoming_challenge_can_be_unpublished(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    running = create_challenge(client, headers, "open")
    response = client.patch(
        f"{CHALLENGES}/{running['id']}", json={"published": False}, headers=headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "cannot_unpublish"
    upcoming = create_challenge(client, headers, "upcoming")
    response = client.patch(
        f"{CHALLENGES}/{upcoming['id']}", json={"published": False}, headers=headers
    )
    assert response.json()["phase"] == "draft"


def test_null_is_refused_for_fields_that_cannot_be_empty(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers)
    url = f"{CHALLENGES}/{challenge['id']}"
    assert client.patch(url, json={"theme": None}, headers=headers).status_code == 422
    assert client.patch(url, json={"votes_per_member": 0}, headers=headers).status_code == 422
    assert client.patch(url, json={"phase": "closed"}, headers=headers).status_code == 422


def test_counts_follow_entries_and_withdrawals(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers, max_submissions_per_member=2)
    _, rina = member_with_headers(app)
    _, budi = member_with_headers(app)
    first = submit(client, challenge["id"], rina)
    submit(client, challenge["id"], rina)
    submit(client, challenge["id"], budi)
    url = f"{CHALLENGES}/{challenge['id']}"
    counts = client.get(url).json()
    assert (counts["submission_count"], counts["participant_count"]) == (3, 2)
    assert client.delete(f"{SUBMISSIONS}/{first['id']}", headers=rina).status_code == 204
    counts = client.get(url).json()
    assert (counts["submission_count"], counts["participant_count"]) == (2, 2)


def test_delete_removes_the_challenge_and_its_works(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers)
    _, member = member_with_headers(app)
    work = submit(client, challenge["id"], member)
    url = f"{CHALLENGES}/{challenge['id']}"
    assert client.delete(url, headers=member).status_code == 403
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url).status_code == 404
    assert client.get(f"{SUBMISSIONS}/{work['id']}", headers=member).status_code == 404
