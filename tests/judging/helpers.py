"""Judged challenges, made through the HTTP API as a client would."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.models import Member
from tests.challenges.helpers import (
    CHALLENGES,
    SUBMISSIONS,
    Headers,
    create_challenge,
    move_to,
    organizer,
    submit,
    vote,
)
from tests.factories import member_with_headers

CRITERIA = [
    {"key": "concept", "title": "Concept", "weight": 2},
    {"key": "craft", "title": "Craft", "weight": 1},
]


def judging(
    juror_ids: Sequence[int | None], mode: str = "combined", **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"mode": mode, "criteria": CRITERIA, "juror_ids": list(juror_ids)}
    if mode == "combined":
        body["jury_weight"] = 0.5
    body.update(overrides)
    return body


class Judged:
    """A judged challenge in `voting` with one work per author, its jurors and organizer."""

    def __init__(
        self,
        client: TestClient,
        app: FastAPI,
        *,
        works: int,
        jurors: int = 2,
        mode: str = "combined",
        **overrides: Any,
    ) -> None:
        self.client = client
        self.headers = organizer(app)
        self.jurors: list[tuple[Member, Headers]] = [
            member_with_headers(app) for _ in range(jurors)
        ]
        judging_overrides = overrides.pop("judging", {})
        self.challenge = create_challenge(
            client,
            self.headers,
            judging=judging([m.id for m, _ in self.jurors], mode, **judging_overrides),
            votes_per_member=max(works, 1),
            **overrides,
        )
        self.id: int = self.challenge["id"]
        self.authors: list[tuple[Member, Headers]] = [
            member_with_headers(app) for _ in range(works)
        ]
        self.works = [
            submit(client, self.id, author, title=f"Work {n}", anthology_consent=True)
            for n, (_, author) in enumerate(self.authors)
        ]
        move_to(client, self.headers, self.id, "voting")
        self.app = app

    def juror(self, index: int) -> Headers:
        return self.jurors[index][1]

    def score(self, juror: int, work: int, *, note: str = "", **scores: int) -> dict[str, Any]:
        response = score(self.client, self.works[work]["id"], self.juror(juror), scores, note)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def votes(self, tallies: list[int]) -> None:
        voters = [member_with_headers(self.app)[1] for _ in range(max(tallies, default=0))]
        for work, tally in zip(self.works, tallies, strict=True):
            for voter in voters[:tally]:
                vote(self.client, work["id"], voter)

    def close(self) -> None:
        move_to(self.client, self.headers, self.id, "closed")

    def results(self, **params: Any) -> list[dict[str, Any]]:
        response = self.client.get(f"{CHALLENGES}/{self.id}/results", params=params)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


def score(
    client: TestClient, submission_id: int, headers: Headers, scores: dict[str, int], note: str = ""
) -> Any:
    body: dict[str, Any] = {"scores": scores}
    if note:
        body["note"] = note
    return client.put(f"{SUBMISSIONS}/{submission_id}/score", json=body, headers=headers)
