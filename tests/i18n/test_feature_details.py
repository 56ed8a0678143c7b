"""A feature's problem `detail` comes in the caller's language, its values filled in; in
English it reads exactly as the message id."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.challenges.helpers import (
    SUBMISSIONS,
    create_challenge,
    entrants,
    move_to,
    organizer,
    vote,
)
from tests.factories import member_with_headers

INDONESIAN = {"Accept-Language": "id"}
ENGLISH = {"Accept-Language": "en"}


def _both(client: TestClient, method: str, url: str, headers: dict[str, str]) -> list[Any]:
    """The problem's code and detail, asked for in Indonesian then in English."""
    answers = []
    for language in (INDONESIAN, ENGLISH):
        response = client.request(method, url, headers=headers | language)
        answers.append((response.status_code, response.json()["code"], response.json()["detail"]))
    return answers


def test_a_missing_submission_is_named_in_each_language(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    assert _both(client, "GET", f"{SUBMISSIONS}/999999", headers) == [
        (404, "submission_not_found", "Karya 999999 tidak ada."),
        (404, "submission_not_found", "Submission 999999 does not exist."),
    ]


def test_an_exhausted_vote_budget_is_explained_in_each_language(
    client: TestClient, app: FastAPI
) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers, votes_per_member=2)
    works = [work for work, _ in entrants(app, client, challenge["id"], 3)]
    move_to(client, headers, challenge["id"], "voting")
    _, voter = member_with_headers(app)
    for work in works[:2]:
        vote(client, work["id"], voter)
    assert _both(client, "PUT", f"{SUBMISSIONS}/{works[2]['id']}/vote", voter) == [
        (
            409,
            "vote_budget_exhausted",
            "Kamu sudah memakai semua 2 suara kamu di tantangan ini; tarik salah satunya "
            "untuk memilih karya lain.",
        ),
        (
            409,
            "vote_budget_exhausted",
            "You have cast all 2 of your votes in this challenge; withdraw one to vote for "
            "another work.",
        ),
    ]


def test_a_role_is_named_in_each_language(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    assert _both(client, "POST", "/api/v1/invitations", headers) == [
        (403, "role_required", "Hanya penyelenggara ke atas yang boleh melakukan ini."),
        (403, "role_required", "Only organizers and above may do this."),
    ]
