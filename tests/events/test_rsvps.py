"""RSVPs: capacity under concurrency, the FIFO waitlist, promotion and who sees what."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.events import rsvps
from app.models import EventRsvp, RsvpStatus
from tests.events.helpers import (
    EVENTS,
    create_event,
    local_time,
    notification_types,
    organizer_headers,
    rsvp,
)
from tests.factories import auth_headers, make_member, member_with_headers


def _members(app: FastAPI, count: int) -> list[dict[str, str]]:
    return [member_with_headers(app)[1] for _ in range(count)]


def _waitlist(client: TestClient, event_id: int, organizer: dict[str, str]) -> list[int]:
    """Member ids in line order, checked against their positions."""
    response = client.get(
        f"{EVENTS}/{event_id}/rsvps", params={"status": "waitlisted"}, headers=organizer
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["waitlist_position"] for item in items] == list(range(1, len(items) + 1))
    return [item["member"]["id"] for item in items]


def _event(client: TestClient, event_id: int) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"{EVENTS}/{event_id}").json()
    return body


def test_twenty_concurrent_going_rsvps_on_capacity_five(
    live: str, client: TestClient, app: FastAPI
) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer, capacity=5)
    members = [make_member(app) for _ in range(20)]
    headers = [auth_headers(app, member) for member in members]

    def going(member_headers: dict[str, str]) -> dict[str, Any]:
        with httpx.Client(base_url=live, timeout=60) as http:
            response = http.put(
                f"{EVENTS}/{event['id']}/rsvp", json={"status": "going"}, headers=member_headers
            )
            assert response.status_code == 200, response.text
            answered: dict[str, Any] = response.json()
            return answered

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(going, headers))

    statuses = [answer["status"] for answer in answers]
    assert statuses.count("going") == 5
    assert statuses.count("waitlisted") == 15
    positions = sorted(a["waitlist_position"] for a in answers if a["status"] == "waitlisted")
    assert positions == list(range(1, 16))
    assert all(a["waitlist_position"] is None for a in answers if a["status"] == "going")
    counts = _event(client, event["id"])
    assert (counts["going_count"], counts["waitlist_count"], counts["spots_left"]) == (5, 15, 0)
    assert len(_waitlist(client, event["id"], organizer)) == 15


def test_more_concurrent_rsvps_than_worker_threads_all_get_an_answer(
    live: str, client: TestClient, app: FastAPI
) -> None:
    """60 writers on one event row, more than the 40 worker threads: none may starve (503)."""
    organizer = organizer_headers(app)
    event = create_event(client, organizer, capacity=10)
    headers = _members(app, 60)

    def going(member_headers: dict[str, str]) -> str:
        with httpx.Client(base_url=live, timeout=60) as http:
            response = http.put(
                f"{EVENTS}/{event['id']}/rsvp", json={"status": "going"}, headers=member_headers
            )
            assert response.status_code == 200, response.text
            status: str = response.json()["status"]
            return status

    with ThreadPoolExecutor(max_workers=60) as pool:
        statuses = list(pool.map(going, headers))

    assert (statuses.count("going"), statuses.count("waitlisted")) == (10, 50)


def test_concurrent_leaving_and_joining_keep_seats_and_queue_consistent(
    live: str, client: TestClient, app: FastAPI
) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer, capacity=4)
    seated = _members(app, 4)
    queued = _members(app, 4)
    for headers in seated + queued:
        rsvp(client, event["id"], headers)
    newcomers = _members(app, 4)
    path = f"{EVENTS}/{event['id']}/rsvp"

    def act(job: tuple[str, dict[str, str]]) -> int:
        action, member_headers = job
        with httpx.Client(base_url=live, timeout=60) as http:
            if action == "leave":
                return http.delete(path, headers=member_headers).status_code
            return http.put(path, json={"status": "going"}, headers=member_headers).status_code

    jobs = [("leave", h) for h in seated[:3]] + [("join", h) for h in newcomers]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        assert set(pool.map(act, jobs)) == {200, 204}

    everyone = client.get(path + "s", params={"limit": 100}, headers=organizer).json()["items"]
    going = [item for item in everyone if item["status"] == "going"]
    line = _waitlist(client, event["id"], organizer)
    counts = _event(client, event["id"])
    assert (counts["going_count"], counts["waitlist_count"]) == (len(going), len(line))
    assert len(going) == 4  # every freed seat went to someone waiting
    assert len(going) + len(line) == 4 + 4 - 3 + 4
    # Seats never stay free while people wait, so newcomers queued behind everyone.
    mine = [client.get(path, headers=h).json() for h in queued + newcomers]
    assert [m["status"] for m in mine[:3]] == ["going"] * 3
    assert mine[3]["waitlist_position"] == 1
    assert sorted(m["waitlist_position"] for m in mine[4:]) == [2, 3, 4, 5]


def _counts_match_the_rows(client: TestClient, event_id: int, organizer: dict[str, str]) -> None:
    """The event's counters are its rows' (seats and places), and no seat stays free while
    someone waits."""
    path = f"{EVENTS}/{event_id}/rsvps"
    everyone = client.get(path, params={"limit": 100}, headers=organizer).json()["items"]
    going = sum(item["status"] == "going" for item in everyone)
    line = _waitlist(client, event_id, organizer)
    counts = _event(client, event_id)
    assert (counts["going_count"], counts["waitlist_count"]) == (going, len(line))
    assert going <= counts["capacity"]
    assert not line or going == counts["capacity"]


def test_one_members_answers_sent_at_once_keep_the_counts_true(
    live: str, client: TestClient, app: FastAPI
) -> None:
    """An RSVP reads the member's row with the event's lock; a request that waited for that
    lock may have read it before the member's other request changed it. Answers of one
    member in every order, with a neighbour freeing and taking a seat meanwhile (which
    promotes from the line): the counters still match the rows."""
    organizer = organizer_headers(app)
    event = create_event(client, organizer, capacity=2)
    member, neighbour, *waiting = _members(app, 4)
    for headers in (neighbour, member, *waiting):
        rsvp(client, event["id"], headers)
    path = f"{EVENTS}/{event['id']}/rsvp"
    answers = ["interested", "going", "not_going", None, "going", "interested"] * 4
    jobs = [(member, answer) for answer in answers] + [(neighbour, a) for a in answers[:12]]

    def send(job: tuple[dict[str, str], str | None]) -> int:
        headers, answer = job
        with httpx.Client(base_url=live, timeout=60) as http:
            if answer is None:
                return http.delete(path, headers=headers).status_code
            return http.put(path, json={"status": answer}, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        assert set(pool.map(send, jobs)) <= {200, 204}
    _counts_match_the_rows(client, event["id"], organizer)


def test_an_answer_read_before_a_promotion_is_read_again(
    client: TestClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What PostgreSQL's lock can return: the member still waitlisted, though the lock's
    previous holder promoted them. Leaving must give up the seat (promoting the next in
    line), not the place in line they no longer have."""
    organizer = organizer_headers(app)
    event = create_event(client, organizer, capacity=1)
    member, first, second = _members(app, 3)
    for headers in (first, member, second):
        rsvp(client, event["id"], headers)
    assert client.delete(f"{EVENTS}/{event['id']}/rsvp", headers=first).status_code == 204
    locked = rsvps._lock_for_rsvp

    def as_before_the_promotion(*args: Any, **kwargs: Any) -> tuple[Any, EventRsvp]:
        event, rsvp = locked(*args, **kwargs)
        assert rsvp.status == RsvpStatus.GOING
        return event, rsvp.model_copy(
            update={"status": RsvpStatus.WAITLISTED, "waitlist_ticket": 1}
        )

    monkeypatch.setattr(rsvps, "_lock_for_rsvp", as_before_the_promotion)
    assert rsvp(client, event["id"], member, "interested")["status"] == "interested"
    monkeypatch.undo()
    assert client.get(f"{EVENTS}/{event['id']}/rsvp", headers=second).json()["status"] == "going"
    _counts_match_the_rows(client, event["id"], organizer)


def test_a_full_event_waitlists_in_arrival_order(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer, capacity=2)
    answers = [rsvp(client, event["id"], headers) for headers in _members(app, 5)]
    assert [a["status"] for a in answers] == ["going", "going"] + ["waitlisted"] * 3
    assert [a["waitlist_position"] for a in answers] == [None, None, 1, 2, 3]
    assert _waitlist(client, event["id"], organizer) == [a["member"]["id"] for a in answers[2:]]


def test_going_again_keeps_the_seat_or_the_place_in_line(client: TestClient, app: FastAPI) -> None:
    event = create_event(client, organizer_headers(app), capacity=1)
    first, second = _members(app, 2)
    rsvp(client, event["id"], first)
    rsvp(client, event["id"], second)
    assert rsvp(client, event["id"], first)["status"] == "going"
    again = rsvp(client, event["id"], second)
    assert (again["status"], again["waitlist_position"]) == ("waitlisted", 1)
    counts = _event(client, event["id"])
    assert (counts["going_count"], counts["waitlist_count"]) == (1, 1)


def test_leaving_promotes_the_first_in_line_and_notifies_them(
    client: TestClient, app: FastAPI
) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer, capacity=2)
    a, b, c, d, e = _members(app, 5)
    for headers in (a, b, c, d, e):
        rsvp(client, event["id"], headers)

    assert client.delete(f"{EVENTS}/{event['id']}/rsvp", headers=a).status_code == 204
    assert client.get(f"{EVENTS}/{event['id']}/rsvp", headers=c).json()["status"] == "going"
    assert "event.waitlist_promoted" in notification_types(client, c)
    assert "event.waitlist_promoted" not in notification_types(client, d)
    assert client.get(f"{EVENTS}/{event['id']}/rsvp", headers=d).json()["waitlist_position"] == 1

    # Changing one's answer away from going frees the seat the same way.
    assert rsvp(client, event["id"], b, "interested")["status"] == "interested"
    assert client.get(f"{EVENTS}/{event['id']}/rsvp", headers=d).json()["status"] == "going"
    assert "event.waitlist_promoted" in notification_types(client, d)
    remaining = client.get(f"{EVENTS}/{event['id']}/rsvp", headers=e).json()
    assert (remaining["status"], remaining["waitlist_position"]) == ("waitlisted", 1)
    counts = _event(client, event["id"])
    assert (counts["going_count"], counts["waitlist_count"]) == (2, 1)


def test_leaving_the_waitlist_moves_the_others_up(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer, capacity=1)
    members = _members(app, 4)
    answers = [rsvp(client, event["id"], headers) for headers in members]
    rsvp(client, event["id"], members[1], "not_going")
    assert _waitlist(client, event["id"], organizer) == [
        answers[2]["member"]["id"],
        answers[3]["member"]["id"],
    ]
    counts = _event(client, event["id"])
    assert (counts["going_count"], counts["waitlist_count"]) == (1, 2)
    # Going again after leaving the line means joining it at the back.
    back = rsvp(client, event["id"], members[1])
    assert (back["status"], back["waitlist_position"]) == ("waitlisted", 3)


def test_raising_capacity_promotes_from_the_waitlist(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer, capacity=1)
    members = _members(app, 4)
    for headers in members:
        rsvp(client, event["id"], headers)
    raised = client.patch(f"{EVENTS}/{event['id']}", json={"capacity": 3}, headers=organizer)
    assert raised.status_code == 200, raised.text
    body = raised.json()
    assert (body["going_count"], body["waitlist_count"], body["spots_left"]) == (3, 1, 0)
    for headers in members[1:3]:
        assert client.get(f"{EVENTS}/{event['id']}/rsvp", headers=headers).json()["status"] == (
            "going"
        )
        assert "event.waitlist_promoted" in notification_types(client, headers)
    assert (
        client.get(f"{EVENTS}/{event['id']}/rsvp", headers=members[3]).json()["waitlist_position"]
        == 1
    )
    unlimited = client.patch(f"{EVENTS}/{event['id']}", json={"capacity": None}, headers=organizer)
    assert (unlimited.json()["going_count"], unlimited.json()["waitlist_count"]) == (4, 0)
    assert unlimited.json()["spots_left"] is None


def test_capacity_below_going_count_is_409(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer, capacity=3)
    for headers in _members(app, 3):
        rsvp(client, event["id"], headers)
    response = client.patch(f"{EVENTS}/{event['id']}", json={"capacity": 2}, headers=organizer)
    assert response.status_code == 409
    assert response.json()["code"] == "capacity_below_going"
    assert _event(client, event["id"])["capacity"] == 3


def test_cancelling_notifies_everyone_going_and_waiting(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer, capacity=1)
    going, waiting, interested = _members(app, 3)
    rsvp(client, event["id"], going)
    rsvp(client, event["id"], waiting)
    rsvp(client, event["id"], interested, "interested")
    response = client.patch(
        f"{EVENTS}/{event['id']}", json={"status": "cancelled"}, headers=organizer
    )
    assert response.status_code == 200
    assert "event.cancelled" in notification_types(client, going)
    assert "event.cancelled" in notification_types(client, waiting)
    assert "event.cancelled" not in notification_types(client, interested)
    refused = client.put(
        f"{EVENTS}/{event['id']}/rsvp", json={"status": "going"}, headers=interested
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "event_cancelled")


def test_rsvp_to_an_ended_event_is_409(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    starts = local_time(-3)
    event = create_event(
        client,
        organizer,
        starts_at=starts.isoformat(),
        ends_at=(starts + timedelta(hours=2)).isoformat(),
    )
    _, member = member_with_headers(app)
    response = client.put(f"{EVENTS}/{event['id']}/rsvp", json={"status": "going"}, headers=member)
    assert (response.status_code, response.json()["code"]) == (409, "event_ended")


def test_rsvp_needs_a_member_and_a_known_answer(client: TestClient, app: FastAPI) -> None:
    event = create_event(client, organizer_headers(app))
    path = f"{EVENTS}/{event['id']}/rsvp"
    assert client.put(path, json={"status": "going"}).status_code == 401
    _, member = member_with_headers(app)
    assert client.put(path, json={"status": "waitlisted"}, headers=member).status_code == 422
    assert client.get(path, headers=member).status_code == 404
    assert client.delete(path, headers=member).status_code == 204  # nothing to withdraw
    assert client.put(
        f"{EVENTS}/999999/rsvp", json={"status": "going"}, headers=member
    ).status_code == (404)


def test_members_see_who_is_going_or_interested_organizers_see_all(
    client: TestClient, app: FastAPI
) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer, capacity=1)
    going, waiting, interested, declined = _members(app, 4)
    rsvp(client, event["id"], going)
    rsvp(client, event["id"], waiting)
    rsvp(client, event["id"], interested, "interested")
    rsvp(client, event["id"], declined, "not_going")
    path = f"{EVENTS}/{event['id']}/rsvps"

    seen = client.get(path, headers=declined).json()["items"]
    assert sorted(item["status"] for item in seen) == ["going", "interested"]
    restricted = client.get(path, params={"status": "waitlisted"}, headers=going)
    assert (restricted.status_code, restricted.json()["code"]) == (403, "rsvp_list_restricted")
    assert client.get(path).status_code == 401

    everything = client.get(path, headers=organizer).json()["items"]
    assert sorted(item["status"] for item in everything) == [
        "going",
        "interested",
        "not_going",
        "waitlisted",
    ]
    first = client.get(path, params={"limit": 2}, headers=organizer).json()
    rest = client.get(
        path, params={"limit": 2, "cursor": first["next_cursor"]}, headers=organizer
    ).json()
    assert len(first["items"]) + len(rest["items"]) == 4
    assert rest["next_cursor"] is None


def test_rsvp_list_of_a_draft_is_404_to_members(client: TestClient, app: FastAPI) -> None:
    draft = create_event(client, organizer_headers(app), status="draft")
    _, member = member_with_headers(app)
    assert client.get(f"{EVENTS}/{draft['id']}/rsvps", headers=member).status_code == 404
