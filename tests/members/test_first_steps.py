"""The newcomer's first steps: each turns done when the member does it, through the API."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.challenges.helpers import create_challenge, move_to, organizer, submit, vote
from tests.events.helpers import create_event, rsvp
from tests.factories import QueryCounter, make_mentor, member_with_headers
from tests.mentoring.helpers import request_mentorship

FIRST_STEPS = "/api/v1/members/me/first-steps"
KEYS = [
    "complete_profile",
    "join_event",
    "give_feedback",
    "cast_vote",
    "first_submission",
    "find_mentor",
]
Headers = dict[str, str]


def done(client: TestClient, headers: Headers) -> set[str]:
    response = client.get(FIRST_STEPS, headers=headers)
    assert response.status_code == 200, response.text
    return {item["key"] for item in response.json()["items"] if item["done"]}


def test_a_newcomer_has_every_step_to_do_in_order(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    response = client.get(FIRST_STEPS, headers=headers)
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["key"] for item in items] == KEYS
    assert all(item["done"] is False and item["title"] for item in items)
    assert set(response.json()) == {"items"}
    assert all(set(item) == {"key", "title", "done"} for item in items)


def test_first_steps_need_credentials(client: TestClient) -> None:
    response = client.get(FIRST_STEPS)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_the_welcome_notification_points_to_the_steps(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    feed = client.get("/api/v1/notifications", headers=headers).json()["items"]
    welcome = next(n for n in feed if n["type"] == "member.welcome")
    assert welcome["data"]["first_steps_url"] == FIRST_STEPS
    assert client.get(welcome["data"]["first_steps_url"], headers=headers).status_code == 200


def test_a_profile_is_complete_with_a_bio_and_a_discipline(
    client: TestClient, app: FastAPI
) -> None:
    _, headers = member_with_headers(app)
    client.patch("/api/v1/members/me", json={"bio": "Street photographer."}, headers=headers)
    assert done(client, headers) == set()
    client.patch("/api/v1/members/me", json={"disciplines": ["photography"]}, headers=headers)
    assert done(client, headers) == {"complete_profile"}


def test_an_rsvp_going_joins_an_event(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    event = create_event(client, organizer(app))
    rsvp(client, event["id"], headers, status="interested")
    assert done(client, headers) == set()
    rsvp(client, event["id"], headers, status="going")
    assert done(client, headers) == {"join_event"}


def test_feedback_is_a_comment_on_someone_elses_work(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    _, other = member_with_headers(app)
    challenge = create_challenge(client, organizer(app))
    own = submit(client, challenge["id"], headers)
    theirs = submit(client, challenge["id"], other)
    comment = {"body": "Lovely light."}
    url = "/api/v1/submissions/{}/comments"
    assert client.post(url.format(own["id"]), json=comment, headers=headers).status_code == 201
    assert done(client, headers) == {"first_submission"}
    assert client.post(url.format(theirs["id"]), json=comment, headers=headers).status_code == 201
    assert done(client, headers) == {"first_submission", "give_feedback"}


def test_a_vote_and_a_mentorship_request_are_steps(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    _, author = member_with_headers(app)
    staff = organizer(app)
    challenge = create_challenge(client, staff)
    work = submit(client, challenge["id"], author)
    move_to(client, staff, challenge["id"], "voting")
    vote(client, work["id"], headers)
    assert done(client, headers) == {"cast_vote"}
    request_mentorship(client, make_mentor(app, topics=["photography"]), headers)
    assert done(client, headers) == {"cast_vote", "find_mentor"}


def test_the_steps_are_one_statement(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    _, headers = member_with_headers(app)
    done(client, headers)  # the caller's token is remembered from here on
    queries.reset()
    assert done(client, headers) == set()
    assert queries.count == 1, queries.statements
