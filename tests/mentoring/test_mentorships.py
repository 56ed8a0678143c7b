"""Mentorships: requests, the mentor's answers, capacity under concurrency, notifications."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.domain_events import DomainEvent, MentorshipCompleted
from tests.factories import (
    QueryCounter,
    auth_headers,
    make_member,
    make_mentor,
    member_with_headers,
)
from tests.mentoring.helpers import (
    MENTORS,
    MENTORSHIPS,
    answer,
    notification_types,
    request_mentorship,
)

Events = list[DomainEvent]


def _spots_left(client: TestClient, headers: dict[str, str], mentor_id: int | None) -> int:
    items = client.get(MENTORS, params={"limit": 100}, headers=headers).json()["items"]
    (mentor,) = [item for item in items if item["member"]["id"] == mentor_id]
    spots: int = mentor["spots_left"]
    return spots


def test_a_request_is_pending_and_the_mentor_is_told(client: TestClient, app: FastAPI) -> None:
    mentor = make_mentor(app, topics=["ink"], display_name="Rina Wijaya")
    mentee, mentee_headers = member_with_headers(app, display_name="Budi Santoso")
    mentor_headers = auth_headers(app, mentor)
    response = client.post(
        MENTORSHIPS,
        json={"mentor_id": mentor.id, "goal": "A picture-book portfolio"},
        headers=mentee_headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending"
    assert (body["mentor"]["id"], body["mentee"]["id"]) == (mentor.id, mentee.id)
    assert body["mentor"]["display_name"] == "Rina Wijaya"
    assert (body["answered_at"], body["ended_at"]) == (None, None)
    assert response.headers["location"] == f"{MENTORSHIPS}/{body['id']}"
    for headers in (mentee_headers, mentor_headers):
        assert client.get(response.headers["location"], headers=headers).json() == body
    note = client.get("/api/v1/notifications", headers=mentor_headers).json()["items"][0]
    assert note["type"] == "mentorship.requested"
    assert note["title"].startswith("Budi Santoso")
    assert "picture-book" in note["body"]


def test_one_open_request_per_mentor(client: TestClient, app: FastAPI) -> None:
    mentor = make_mentor(app, topics=["ink"])
    _, mentee = member_with_headers(app)
    first = request_mentorship(client, mentor, mentee)
    again = client.post(MENTORSHIPS, json={"mentor_id": mentor.id, "goal": "Again"}, headers=mentee)
    assert again.status_code == 409
    assert again.json()["code"] == "mentorship_already_open"
    answer(client, first["id"], auth_headers(app, mentor), "accepted")
    assert (
        client.post(
            MENTORSHIPS, json={"mentor_id": mentor.id, "goal": "Again"}, headers=mentee
        ).status_code
        == 409
    )
    answer(client, first["id"], auth_headers(app, mentor), "completed")
    request_mentorship(client, mentor, mentee, goal="A second round")


def test_requests_go_only_to_open_mentors(client: TestClient, app: FastAPI) -> None:
    me, headers = member_with_headers(app)
    paused = make_mentor(app, topics=["ink"], is_open=False)
    plain = make_member(app)
    gone = make_mentor(app, topics=["ink"], is_active=False)
    for mentor_id, status, code in (
        (paused.id, 409, "mentor_not_open"),
        (plain.id, 409, "mentor_not_open"),
        (gone.id, 404, "mentor_not_found"),
        (999_999, 404, "mentor_not_found"),
        (me.id, 422, "cannot_mentor_self"),
    ):
        response = client.post(
            MENTORSHIPS, json={"mentor_id": mentor_id, "goal": "Hi"}, headers=headers
        )
        assert (response.status_code, response.json()["code"]) == (status, code)


@pytest.mark.parametrize(
    "extra",
    [
        {"status": "accepted"},
        {"mentee_id": 1},
        {"goal": "  "},
        {"goal": "x" * 2001},
        {"mentor_id": 0},
    ],
)
def test_request_fields_are_validated(
    client: TestClient, app: FastAPI, extra: dict[str, Any]
) -> None:
    mentor = make_mentor(app, topics=["ink"])
    _, headers = member_with_headers(app)
    body = {"mentor_id": mentor.id, "goal": "Learn ink", **extra}
    assert client.post(MENTORSHIPS, json=body, headers=headers).status_code == 422


def test_only_the_mentor_answers(client: TestClient, app: FastAPI) -> None:
    mentor = make_mentor(app, topics=["ink"])
    _, mentee = member_with_headers(app)
    _, stranger = member_with_headers(app)
    mentorship = request_mentorship(client, mentor, mentee)
    path = f"{MENTORSHIPS}/{mentorship['id']}"
    by_mentee = client.patch(path, json={"status": "accepted"}, headers=mentee)
    assert by_mentee.status_code == 403
    assert by_mentee.json()["code"] == "not_mentor"
    # Strangers are not told the mentorship exists.
    assert client.patch(path, json={"status": "accepted"}, headers=stranger).status_code == 404
    assert client.get(path, headers=stranger).status_code == 404
    assert client.get(path, headers=mentee).json()["status"] == "pending"


def test_answers_move_only_along_valid_transitions(client: TestClient, app: FastAPI) -> None:
    mentor = make_mentor(app, topics=["ink"])
    mentor_headers = auth_headers(app, mentor)
    _, mentee = member_with_headers(app)
    mentorship = request_mentorship(client, mentor, mentee)
    path = f"{MENTORSHIPS}/{mentorship['id']}"

    def refused(status: str) -> None:
        response = client.patch(path, json={"status": status}, headers=mentor_headers)
        assert response.status_code == 409, status
        assert response.json()["code"] == "invalid_transition"

    refused("completed")
    answer(client, mentorship["id"], mentor_headers, "accepted")
    refused("accepted")
    answer(client, mentorship["id"], mentor_headers, "completed")
    for status in ("accepted", "declined", "completed"):
        refused(status)
    assert client.patch(path, json={"status": "pending"}, headers=mentor_headers).status_code == 422


def test_accepting_takes_a_spot_and_completing_frees_it(
    client: TestClient, app: FastAPI, published: Events
) -> None:
    mentor = make_mentor(app, topics=["ink"], capacity=1)
    mentor_headers = auth_headers(app, mentor)
    mentee, mentee_headers = member_with_headers(app)
    _, second_headers = member_with_headers(app)
    first = request_mentorship(client, mentor, mentee_headers)
    second = request_mentorship(client, mentor, second_headers)

    accepted = answer(client, first["id"], mentor_headers, "accepted")
    assert accepted["answered_at"] is not None
    assert notification_types(client, mentee_headers)[0] == "mentorship.accepted"
    assert _spots_left(client, mentee_headers, mentor.id) == 0
    full = client.patch(
        f"{MENTORSHIPS}/{second['id']}", json={"status": "accepted"}, headers=mentor_headers
    )
    assert full.status_code == 409
    assert full.json()["code"] == "mentor_at_capacity"

    completed = answer(client, first["id"], mentor_headers, "completed")
    assert completed["ended_at"] is not None
    # (A first completed mentorship also earns the mentee a badge, announced after it.)
    told = [kind for kind in notification_types(client, mentee_headers) if kind != "badge.awarded"]
    assert told[0] == "mentorship.completed"
    completions = [e for e in published if isinstance(e, MentorshipCompleted)]
    assert [(e.actor_id, e.mentorship_id, e.mentor_id, e.mentee_id) for e in completions] == [
        (mentor.id, first["id"], mentor.id, mentee.id)
    ]
    assert _spots_left(client, mentee_headers, mentor.id) == 1
    assert answer(client, second["id"], mentor_headers, "accepted")["status"] == "accepted"


def test_declining_and_ending_notify_the_mentee(client: TestClient, app: FastAPI) -> None:
    mentor = make_mentor(app, topics=["ink"], capacity=1, display_name="Rina Wijaya")
    mentor_headers = auth_headers(app, mentor)
    _, mentee = member_with_headers(app)
    declined = request_mentorship(client, mentor, mentee)
    answer(client, declined["id"], mentor_headers, "declined")
    note = client.get("/api/v1/notifications", headers=mentee).json()["items"][0]
    assert (note["type"], note["title"]) == (
        "mentorship.declined",
        "Rina Wijaya (@" + mentor.handle + ") declined your mentorship request",
    )
    ended = request_mentorship(client, mentor, mentee)
    answer(client, ended["id"], mentor_headers, "accepted")
    answer(client, ended["id"], mentor_headers, "declined")  # ending early frees the spot
    note = client.get("/api/v1/notifications", headers=mentee).json()["items"][0]
    assert note["title"].endswith("ended your mentorship")
    assert _spots_left(client, mentee, mentor.id) == 1


def test_answers_honour_if_match(client: TestClient, app: FastAPI) -> None:
    mentor = make_mentor(app, topics=["ink"])
    mentor_headers = auth_headers(app, mentor)
    _, mentee = member_with_headers(app)
    mentorship = request_mentorship(client, mentor, mentee)
    path = f"{MENTORSHIPS}/{mentorship['id']}"
    etag = client.get(path, headers=mentor_headers).headers["etag"]
    answer(client, mentorship["id"], mentor_headers, "accepted")
    stale = client.patch(
        path, json={"status": "completed"}, headers={**mentor_headers, "If-Match": etag}
    )
    assert stale.status_code == 412


def test_two_concurrent_acceptances_for_the_last_spot(
    live: str, client: TestClient, app: FastAPI
) -> None:
    mentor = make_mentor(app, topics=["ink"], capacity=2)
    mentor_headers = auth_headers(app, mentor)
    taken = request_mentorship(client, mentor, member_with_headers(app)[1])
    answer(client, taken["id"], mentor_headers, "accepted")
    mentees = [member_with_headers(app)[1] for _ in range(2)]
    pending = [request_mentorship(client, mentor, headers)["id"] for headers in mentees]

    def accept(mentorship_id: int) -> int:
        with httpx.Client(base_url=live, timeout=60) as http:
            response = http.patch(
                f"{MENTORSHIPS}/{mentorship_id}",
                json={"status": "accepted"},
                headers=mentor_headers,
            )
            return response.status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(accept, pending))
    assert statuses == [200, 409]
    states = [
        client.get(f"{MENTORSHIPS}/{i}", headers=mentor_headers).json()["status"] for i in pending
    ]
    assert sorted(states) == ["accepted", "pending"]
    assert _spots_left(client, mentor_headers, mentor.id) == 0


def test_my_mentorships_as_mentor_or_mentee(client: TestClient, app: FastAPI) -> None:
    mentor_member = make_mentor(app, topics=["ink"], capacity=3)
    other_mentor = make_mentor(app, topics=["poetry"])
    me = make_mentor(app, topics=["zines"])
    headers = auth_headers(app, me)
    _, someone = member_with_headers(app)
    as_mentee = request_mentorship(client, mentor_member, headers)
    as_mentor = request_mentorship(client, me, someone)
    request_mentorship(client, other_mentor, someone)  # not mine
    answer(client, as_mentor["id"], headers, "accepted")

    def ids(**params: str) -> list[int]:
        response = client.get(MENTORSHIPS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [m["id"] for m in response.json()["items"]]

    assert ids() == [as_mentor["id"], as_mentee["id"]]
    assert ids(role="mentor") == [as_mentor["id"]]
    assert ids(role="mentee") == [as_mentee["id"]]
    assert ids(status="accepted") == [as_mentor["id"]]
    assert ids(role="mentee", status="accepted") == []
    assert client.get(MENTORSHIPS, params={"role": "admin"}, headers=headers).status_code == 422


def test_duplicate_requests_sent_at_once_leave_one(
    live: str, client: TestClient, app: FastAPI
) -> None:
    mentor = make_mentor(app, topics=["ink"])
    _, mentee = member_with_headers(app)

    def ask(_: int) -> int:
        with httpx.Client(base_url=live, timeout=60) as http:
            body = {"mentor_id": mentor.id, "goal": "Learn ink"}
            return http.post(MENTORSHIPS, json=body, headers=mentee).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(ask, range(4)))
    assert statuses == [201, 409, 409, 409]
    assert len(client.get(MENTORSHIPS, headers=mentee).json()["items"]) == 1


def test_mentorship_list_query_count_does_not_grow_with_page_size(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    _, mentee = member_with_headers(app)
    for _ in range(8):
        request_mentorship(client, make_mentor(app, topics=["ink"]), mentee)
    counts = {}
    for limit in (2, 8):
        queries.reset()
        items = client.get(MENTORSHIPS, params={"limit": limit}, headers=mentee).json()["items"]
        assert len(items) == limit
        counts[limit] = queries.count
    assert counts[2] == counts[8], counts
