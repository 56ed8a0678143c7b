"""Anthology test data, made through the HTTP API as a client would."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.challenges.helpers import (
    SUBMISSIONS,
    Headers,
    create_challenge,
    move_to,
    organizer,
    submit,
    vote,
)
from tests.factories import member_with_headers

ANTHOLOGIES = "/api/v1/anthologies"


def closed_challenge(
    client: TestClient,
    app: FastAPI,
    headers: Headers,
    tallies: list[int],
    *,
    consents: list[bool] | None = None,
    phase: str = "closed",
    **overrides: Any,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[Headers]]:
    """A writing challenge whose works (in submission order) got these votes and gave
    these consents, moved to `phase` (closed by default)."""
    consents = consents if consents is not None else [True] * len(tallies)
    body = {"discipline": "writing", "title": "Monthly writing challenge", **overrides}
    challenge = create_challenge(client, headers, votes_per_member=max(1, len(tallies)), **body)
    works, authors = [], []
    for n, consent in enumerate(consents):
        _, author = member_with_headers(app, display_name=f"Author {n}")
        works.append(
            submit(
                client,
                challenge["id"],
                author,
                title=f"Story {n}",
                content=f"First paragraph of story {n}.\n\nSecond <b>paragraph</b> & more.",
                license="CC-BY-4.0",
                anthology_consent=consent,
            )
        )
        authors.append(author)
    if phase == "open":
        return challenge, works, authors
    move_to(client, headers, challenge["id"], "voting")
    voters = [member_with_headers(app)[1] for _ in range(max(tallies, default=0))]
    for work, tally in zip(works, tallies, strict=True):
        for voter in voters[:tally]:
            vote(client, work["id"], voter)
    if phase == "closed":
        move_to(client, headers, challenge["id"], "closed")
    return challenge, works, authors


def create(client: TestClient, headers: Headers, **body: Any) -> dict[str, Any]:
    response = client.post(ANTHOLOGIES, json={"title": "Cerita Kota", **body}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def disqualify(client: TestClient, headers: Headers, submission_id: int) -> None:
    response = client.post(
        f"{SUBMISSIONS}/{submission_id}/moderation",
        json={"action": "disqualify", "reason": "plagiarism"},
        headers=headers,
    )
    assert response.status_code == 200, response.text


__all__ = ["ANTHOLOGIES", "closed_challenge", "create", "disqualify", "organizer"]
