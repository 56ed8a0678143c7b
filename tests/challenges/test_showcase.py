"""The public showcase: winners and featured works of closed challenges only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.core.clock import utcnow
from app.models import Submission
from tests.challenges.helpers import (
    CHALLENGES,
    SUBMISSIONS,
    Headers,
    create_challenge,
    entrants,
    move_to,
    organizer,
    vote,
)
from tests.challenges.test_sweep import run_sweep
from tests.factories import QueryCounter, member_with_headers

SHOWCASE = "/api/v1/showcase"


def _showcase(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get(SHOWCASE, params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _ids(items: list[dict[str, Any]]) -> list[int]:
    return [item["submission"]["id"] for item in items]


def _moderate(client: TestClient, headers: Headers, submission_id: int, action: str) -> None:
    response = client.post(
        f"{SUBMISSIONS}/{submission_id}/moderation", json={"action": action}, headers=headers
    )
    assert response.status_code == 200, response.text


def _in_voting(
    client: TestClient, app: FastAPI, tallies: list[int], **overrides: Any
) -> tuple[dict[str, Any], list[dict[str, Any]], Headers]:
    """A challenge in its voting phase whose works have these tallies."""
    headers = organizer(app)
    challenge = create_challenge(client, headers, votes_per_member=len(tallies), **overrides)
    works = [work for work, _ in entrants(app, client, challenge["id"], len(tallies))]
    move_to(client, headers, challenge["id"], "voting")
    voters = [member_with_headers(app)[1] for _ in range(max(tallies))]
    for work, tally in zip(works, tallies, strict=True):
        for voter in voters[:tally]:
            vote(client, work["id"], voter)
    return challenge, works, headers


def test_only_winners_and_featured_works_of_closed_challenges_are_shown(
    client: TestClient, app: FastAPI
) -> None:
    closed, works, headers = _in_voting(client, app, [2, 1, 0], winners_count=1)
    _moderate(client, headers, works[2]["id"], "feature")
    _running, (running_work,), _ = _in_voting(client, app, [1])
    _moderate(client, headers, running_work["id"], "feature")
    assert _showcase(client) == []  # nothing that could sway a running vote
    move_to(client, headers, closed["id"], "closed")
    items = _showcase(client)
    assert sorted(_ids(items)) == sorted([works[0]["id"], works[2]["id"]])
    by_id = {item["submission"]["id"]: item for item in items}
    assert (by_id[works[0]["id"]]["winner"], by_id[works[0]["id"]]["featured"]) == (True, False)
    assert (by_id[works[2]["id"]]["winner"], by_id[works[2]["id"]]["featured"]) == (False, True)
    assert by_id[works[0]["id"]]["challenge"]["id"] == closed["id"]
    assert by_id[works[0]["id"]]["submission"]["vote_count"] == 2


def test_disqualifying_a_winner_promotes_the_next_work(client: TestClient, app: FastAPI) -> None:
    challenge, works, headers = _in_voting(client, app, [3, 2, 1], winners_count=1)
    move_to(client, headers, challenge["id"], "closed")
    assert _ids(_showcase(client)) == [works[0]["id"]]
    _moderate(client, headers, works[0]["id"], "disqualify")
    assert _ids(_showcase(client)) == [works[1]["id"]]
    _moderate(client, headers, works[0]["id"], "reinstate")
    assert _ids(_showcase(client)) == [works[0]["id"]]


def test_reopening_the_vote_hides_the_works_until_it_closes_again(
    client: TestClient, app: FastAPI
) -> None:
    challenge, works, headers = _in_voting(client, app, [1, 0], winners_count=1)
    move_to(client, headers, challenge["id"], "closed")
    assert _ids(_showcase(client)) == [works[0]["id"]]
    move_to(client, headers, challenge["id"], "voting")
    assert _showcase(client) == []
    for _ in range(2):
        vote(client, works[1]["id"], member_with_headers(app)[1])
    move_to(client, headers, challenge["id"], "closed")
    assert _ids(_showcase(client)) == [works[1]["id"]]


def test_the_closing_sweep_ranks_a_challenge_that_closed_by_the_clock(
    client: TestClient, app: FastAPI, engine: Engine, session: Session
) -> None:
    challenge, works, _ = _in_voting(client, app, [2, 1], winners_count=1)
    closing = utcnow() + timedelta(days=2)  # the voting closes in a day
    run_sweep(engine, now=closing)
    flags = session.exec(
        select(Submission.id, Submission.is_winner, Submission.showcased_at).where(
            Submission.challenge_id == challenge["id"]
        )
    ).all()
    closes_at = client.get(f"{CHALLENGES}/{challenge['id']}").json()["voting_close_at"]
    winner = {row[0]: row for row in flags}[works[0]["id"]]
    assert winner[1] is True
    assert winner[2] is not None and winner[2].isoformat().replace("+00:00", "Z") == closes_at
    assert {row[0] for row in flags if row[1]} == {works[0]["id"]}


def test_newest_first_filtered_by_discipline_with_the_authors_availability(
    client: TestClient, app: FastAPI
) -> None:
    older, (older_work,), headers = _in_voting(client, app, [1])
    newer, (newer_work,), _ = _in_voting(client, app, [1], discipline="writing")
    move_to(client, headers, older["id"], "closed")
    later = {
        "submissions_open_at": (utcnow() - timedelta(days=3)).isoformat(),
        "submissions_close_at": (utcnow() - timedelta(days=2)).isoformat(),
        "voting_close_at": (utcnow() - timedelta(hours=1)).isoformat(),
    }
    client.patch(f"{CHALLENGES}/{newer['id']}", json=later, headers=headers)
    assert _ids(_showcase(client)) == [newer_work["id"], older_work["id"]]
    assert _ids(_showcase(client, discipline="writing")) == [newer_work["id"]]
    assert _ids(_showcase(client, discipline="photography")) == [older_work["id"]]


def test_items_say_whether_the_author_takes_commissions(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers)
    (work, author), (other, _) = entrants(app, client, challenge["id"], 2)
    client.patch("/api/v1/members/me", json={"open_for_commissions": True}, headers=author)
    move_to(client, headers, challenge["id"], "closed")
    available = {
        item["submission"]["id"]: item["submission"]["author"]["open_for_commissions"]
        for item in _showcase(client)
    }
    assert available == {work["id"]: True, other["id"]: False}


def test_showcase_queries_do_not_grow_with_the_page(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    headers = organizer(app)
    for _ in range(3):
        challenge, _, _ = _in_voting(client, app, [1, 1, 0], winners_count=2)
        move_to(client, headers, challenge["id"], "closed")
    assert len(_showcase(client)) == 6

    def count(limit: int) -> int:
        queries.reset()
        page = client.get(SHOWCASE, params={"limit": limit}).json()
        assert len(page["items"]) == limit
        return queries.count

    assert count(2) == count(6)
