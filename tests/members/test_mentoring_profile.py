"""The mentor profile on a member: `mentoring` in the profile, set through PATCH /members/me."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import (
    QueryCounter,
    auth_headers,
    make_member,
    make_mentor,
    member_with_headers,
)

ME = "/api/v1/members/me"
PROFILE = {"open": True, "topics": ["Illustration", "risograph", "ILLUSTRATION"], "capacity": 2}


def test_a_member_opens_changes_and_closes_a_mentor_profile(
    client: TestClient, app: FastAPI
) -> None:
    member, headers = member_with_headers(app)
    assert client.get(ME, headers=headers).json()["mentoring"] is None
    opened = client.patch(ME, json={"mentoring": PROFILE}, headers=headers)
    assert opened.status_code == 200, opened.text
    expected = {"open": True, "topics": ["Illustration", "risograph"], "capacity": 2}
    assert opened.json()["mentoring"] == expected
    # Public profile, seen by a visitor, carries it too.
    assert client.get(f"/api/v1/members/{member.id}").json()["mentoring"] == expected

    paused = {"open": False, "topics": ["ink"], "capacity": 1}
    assert (
        client.patch(ME, json={"mentoring": paused}, headers=headers).json()["mentoring"] == paused
    )
    # Other fields leave the profile alone.
    assert client.patch(ME, json={"bio": "Hi"}, headers=headers).json()["mentoring"] == paused
    assert client.patch(ME, json={"mentoring": None}, headers=headers).json()["mentoring"] is None
    reopened = client.patch(ME, json={"mentoring": PROFILE}, headers=headers)
    assert reopened.json()["mentoring"] == expected


@pytest.mark.parametrize(
    "mentoring",
    [
        {"open": True, "topics": ["ink"], "capacity": 0},
        {"open": True, "topics": ["ink"], "capacity": 51},
        {"open": True, "topics": [], "capacity": 1},
        {"open": True, "topics": ["x" * 51], "capacity": 1},
        {"open": True, "topics": ["ink\x00"], "capacity": 1},
        {"open": True, "topics": ["ink"]},
        {"open": True, "topics": ["ink"], "capacity": 1, "active_count": 0},
        {"open": True, "topics": ["ink"], "capacity": 1, "spots_left": 9},
    ],
)
def test_invalid_mentor_profiles_are_422(
    client: TestClient, app: FastAPI, mentoring: dict[str, Any]
) -> None:
    _, headers = member_with_headers(app)
    response = client.patch(ME, json={"mentoring": mentoring}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][:2] == ["body", "mentoring"]


def test_capacity_cannot_drop_below_the_mentorships_under_way(
    client: TestClient, app: FastAPI
) -> None:
    mentor = make_mentor(app, topics=["ink"], capacity=3)
    mentor_headers = auth_headers(app, mentor)
    for _ in range(2):
        _, mentee = member_with_headers(app)
        created = client.post(
            "/api/v1/mentorships",
            json={"mentor_id": mentor.id, "goal": "Learn ink"},
            headers=mentee,
        ).json()
        client.patch(
            f"/api/v1/mentorships/{created['id']}",
            json={"status": "accepted"},
            headers=mentor_headers,
        )
    lower = client.patch(
        ME,
        json={"mentoring": {"open": True, "topics": ["ink"], "capacity": 1}},
        headers=mentor_headers,
    )
    assert lower.status_code == 422
    assert lower.json()["code"] == "capacity_below_active"
    assert lower.json()["errors"][0]["loc"] == ["body", "mentoring", "capacity"]
    # Closing keeps the count: reopening with too small a capacity is still refused.
    client.patch(ME, json={"mentoring": None}, headers=mentor_headers)
    again = client.patch(
        ME,
        json={"mentoring": {"open": True, "topics": ["ink"], "capacity": 1}},
        headers=mentor_headers,
    )
    assert again.status_code == 422
    exact = client.patch(
        ME,
        json={"mentoring": {"open": True, "topics": ["ink"], "capacity": 2}},
        headers=mentor_headers,
    )
    assert exact.status_code == 200


def test_member_list_with_mentors_keeps_a_flat_query_count(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    _, headers = member_with_headers(app)
    for n in range(12):
        if n % 2:
            make_mentor(app, topics=[f"topic{n}", "shared"])
        else:
            make_member(app, skills=["ink"])
    counts = {}
    for limit in (2, 12):
        queries.reset()
        items = client.get("/api/v1/members", params={"limit": limit}, headers=headers).json()[
            "items"
        ]
        assert len(items) == limit
        counts[limit] = queries.count
    assert counts[2] == counts[12], counts
    listed = client.get("/api/v1/members", params={"limit": 13}, headers=headers).json()["items"]
    assert sum(1 for m in listed if m["mentoring"] is not None) == 6
