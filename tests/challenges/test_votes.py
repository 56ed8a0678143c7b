"""Votes: only while voting, never one's own, once per work, within the budget — also
under concurrent requests."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2 as httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.core.domain_events import DomainEvent, VoteCast, VoteWithdrawn
from app.models import Vote, VoteBudget
from tests.challenges.helpers import (
    CHALLENGES,
    SUBMISSIONS,
    Headers,
    create_challenge,
    entrants,
    move_to,
    organizer,
    submit,
    vote,
)
from tests.conftest import is_postgres
from tests.factories import QueryCounter, auth_headers, make_member, member_with_headers

# On SQLite a write request takes the database's write lock in its auth dependency and then
# needs a second worker thread for its handler: with more requests in flight than the 40
# worker threads, lock holders starve (a foundation issue, reported). PostgreSQL takes them
# all at once.
IN_FLIGHT = 50 if is_postgres() else 30


def _voting_challenge(
    client: TestClient, app: FastAPI, works: int, **overrides: Any
) -> tuple[dict[str, Any], list[dict[str, Any]], Headers]:
    """A challenge in its voting phase with `works` entries by different members."""
    headers = organizer(app)
    challenge = create_challenge(client, headers, **overrides)
    entries = [work for work, _ in entrants(app, client, challenge["id"], works)]
    move_to(client, headers, challenge["id"], "voting")
    return challenge, entries, headers


def _tally(client: TestClient, organizer_headers: Headers, submission_id: int) -> int:
    count: int = client.get(f"{SUBMISSIONS}/{submission_id}", headers=organizer_headers).json()[
        "vote_count"
    ]
    return count


def test_a_vote_is_counted_and_spends_the_budget(
    client: TestClient, app: FastAPI, published: list[DomainEvent]
) -> None:
    challenge, (work, *_), headers = _voting_challenge(client, app, 2)
    _, voter = member_with_headers(app)
    cast = vote(client, work["id"], voter)
    assert (cast["submission_id"], cast["challenge_id"], cast["remaining"]) == (
        work["id"],
        challenge["id"],
        2,
    )
    assert _tally(client, headers, work["id"]) == 1
    mine = client.get(f"{CHALLENGES}/{challenge['id']}/votes/me", headers=voter).json()
    assert mine == {"submission_ids": [work["id"]], "remaining": 2}
    assert [type(e) for e in published if isinstance(e, VoteCast | VoteWithdrawn)] == [VoteCast]


def test_voting_outside_the_voting_phase_conflicts(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers)
    (work, _), (_, voter) = entrants(app, client, challenge["id"], 2)
    for phase in ("open", "closed"):
        move_to(client, headers, challenge["id"], phase)
        response = client.put(f"{SUBMISSIONS}/{work['id']}/vote", headers=voter)
        assert response.status_code == 409, phase
        assert response.json()["code"] == "challenge_not_voting"


def test_voting_on_ones_own_work_is_forbidden(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers)
    _, author = member_with_headers(app)
    work = submit(client, challenge["id"], author)
    move_to(client, headers, challenge["id"], "voting")
    response = client.put(f"{SUBMISSIONS}/{work['id']}/vote", headers=author)
    assert response.status_code == 403
    assert response.json()["code"] == "own_submission"


def test_the_fourth_vote_with_a_budget_of_three_conflicts(client: TestClient, app: FastAPI) -> None:
    challenge, entries, headers = _voting_challenge(client, app, 4)
    _, voter = member_with_headers(app)
    assert [vote(client, w["id"], voter)["remaining"] for w in entries[:3]] == [2, 1, 0]
    response = client.put(f"{SUBMISSIONS}/{entries[3]['id']}/vote", headers=voter)
    assert response.status_code == 409
    assert response.json()["code"] == "vote_budget_exhausted"
    assert _tally(client, headers, entries[3]["id"]) == 0
    mine = client.get(f"{CHALLENGES}/{challenge['id']}/votes/me", headers=voter).json()
    assert mine == {"submission_ids": [w["id"] for w in entries[:3]], "remaining": 0}


def test_the_same_vote_twice_counts_once(
    client: TestClient, app: FastAPI, published: list[DomainEvent]
) -> None:
    _challenge, (work, *_), headers = _voting_challenge(client, app, 1)
    _, voter = member_with_headers(app)
    first, second = vote(client, work["id"], voter), vote(client, work["id"], voter)
    assert first == second
    assert first["remaining"] == 2
    assert _tally(client, headers, work["id"]) == 1
    assert [type(e) for e in published].count(VoteCast) == 1


def test_withdrawing_refunds_the_vote(client: TestClient, app: FastAPI) -> None:
    _challenge, entries, headers = _voting_challenge(client, app, 4, votes_per_member=1)
    _, voter = member_with_headers(app)
    vote(client, entries[0]["id"], voter)
    assert client.put(f"{SUBMISSIONS}/{entries[1]['id']}/vote", headers=voter).status_code == 409
    assert client.delete(f"{SUBMISSIONS}/{entries[0]['id']}/vote", headers=voter).status_code == 204
    assert _tally(client, headers, entries[0]["id"]) == 0
    assert vote(client, entries[1]["id"], voter)["remaining"] == 0
    again = client.delete(f"{SUBMISSIONS}/{entries[0]['id']}/vote", headers=voter)
    assert again.status_code == 404
    assert again.json()["code"] == "vote_not_found"


def test_a_disqualified_work_takes_no_votes_but_its_votes_can_be_withdrawn(
    client: TestClient, app: FastAPI
) -> None:
    challenge, (work, other), headers = _voting_challenge(client, app, 2)
    _, early = member_with_headers(app)
    _, late = member_with_headers(app)
    vote(client, work["id"], early)
    client.post(
        f"{SUBMISSIONS}/{work['id']}/moderation", json={"action": "disqualify"}, headers=headers
    )
    for voter in (late, early, headers):
        response = client.put(f"{SUBMISSIONS}/{work['id']}/vote", headers=voter)
        assert response.status_code == 409
        assert response.json()["code"] == "submission_disqualified"
    # The early vote stays spent until its voter takes it back, which refunds it.
    mine = client.get(f"{CHALLENGES}/{challenge['id']}/votes/me", headers=early).json()
    assert mine == {"submission_ids": [work["id"]], "remaining": 2}
    assert client.delete(f"{SUBMISSIONS}/{work['id']}/vote", headers=early).status_code == 204
    assert vote(client, other["id"], early)["remaining"] == 2
    assert _tally(client, headers, work["id"]) == 0


def test_lowering_the_budget_mid_vote_keeps_the_votes_cast(
    client: TestClient, app: FastAPI, session: Session
) -> None:
    challenge, entries, headers = _voting_challenge(client, app, 3)
    voter_member = make_member(app)
    voter = auth_headers(app, voter_member)
    vote(client, entries[0]["id"], voter)
    vote(client, entries[1]["id"], voter)
    client.patch(f"{CHALLENGES}/{challenge['id']}", json={"votes_per_member": 1}, headers=headers)
    mine = client.get(f"{CHALLENGES}/{challenge['id']}/votes/me", headers=voter).json()
    assert (len(mine["submission_ids"]), mine["remaining"]) == (2, 0)
    assert client.put(f"{SUBMISSIONS}/{entries[2]['id']}/vote", headers=voter).status_code == 409
    budget = session.exec(select(VoteBudget).where(VoteBudget.member_id == voter_member.id)).one()
    assert (budget.allowance, budget.used) == (2, 2)


def test_thirty_concurrent_votes_with_a_budget_of_three_record_three(
    live: str, client: TestClient, app: FastAPI
) -> None:
    challenge, entries, headers = _voting_challenge(client, app, 30)
    _, voter = member_with_headers(app)

    def cast(submission_id: int) -> int:
        with httpx.Client(base_url=live, timeout=60) as http:
            return http.put(f"{SUBMISSIONS}/{submission_id}/vote", headers=voter).status_code

    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(cast, [w["id"] for w in entries]))
    assert sorted(statuses) == [200] * 3 + [409] * 27
    mine = client.get(f"{CHALLENGES}/{challenge['id']}/votes/me", headers=voter).json()
    assert (len(mine["submission_ids"]), mine["remaining"]) == (3, 0)
    assert sum(_tally(client, headers, w["id"]) for w in entries) == 3


def test_fifty_members_voting_at_once_on_one_work_count_fifty(
    live: str, client: TestClient, app: FastAPI
) -> None:
    _, (work,), headers = _voting_challenge(client, app, 1)
    voters = [auth_headers(app, make_member(app)) for _ in range(50)]

    def cast(voter: Headers) -> int:
        with httpx.Client(base_url=live, timeout=60) as http:
            return http.put(f"{SUBMISSIONS}/{work['id']}/vote", headers=voter).status_code

    with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
        statuses = list(pool.map(cast, voters + voters[:10]))  # ten vote twice at once
    assert statuses == [200] * 60
    assert _tally(client, headers, work["id"]) == 50


def test_the_vote_audit_is_for_organizers(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    challenge, entries, headers = _voting_challenge(client, app, 3)
    voters = [member_with_headers(app) for _ in range(3)]
    for _, voter in voters:
        for work in entries:
            vote(client, work["id"], voter)
    url = f"{CHALLENGES}/{challenge['id']}/votes"
    assert client.get(url, headers=voters[0][1]).status_code == 403
    page = client.get(url, params={"limit": 9}, headers=headers).json()
    assert len(page["items"]) == 9
    assert {item["voter"]["id"] for item in page["items"]} == {m.id for m, _ in voters}

    def count(limit: int) -> int:
        queries.reset()
        assert (
            len(client.get(url, params={"limit": limit}, headers=headers).json()["items"]) == limit
        )
        return queries.count

    assert count(2) == count(9)


@pytest.mark.skipif(
    not is_postgres(), reason="on SQLite a write holds the one write lock from its first read"
)
def test_a_work_disqualified_while_a_vote_waits_for_the_lock_takes_no_vote(
    live: str, client: TestClient, app: FastAPI, engine: Engine, session: Session
) -> None:
    """The vote reads the work while waiting for the challenge's lock, which a moderation
    holds: what it read is stale once the moderation commits, and the vote's own INSERT
    must still refuse the disqualified work."""
    challenge, (work,), _ = _voting_challenge(client, app, 1)
    _, voter = member_with_headers(app)
    with engine.connect() as moderation, ThreadPoolExecutor(max_workers=1) as pool:
        moderation.execute(
            sa.text("SELECT id FROM challenges WHERE id = :id FOR NO KEY UPDATE"),
            {"id": challenge["id"]},
        )
        moderation.execute(
            sa.text("UPDATE submissions SET disqualified = true WHERE id = :id"),
            {"id": work["id"]},
        )

        def cast() -> httpx.Response:
            with httpx.Client(base_url=live, timeout=60) as http:
                return http.put(f"{SUBMISSIONS}/{work['id']}/vote", headers=voter)

        answer = pool.submit(cast)
        _wait_for_a_lock_wait(engine)
        moderation.commit()
        response = answer.result()
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "submission_disqualified"
    assert session.exec(select(Vote).where(Vote.submission_id == work["id"])).all() == []


def _wait_for_a_lock_wait(engine: Engine) -> None:
    """Until some other session of this database waits for a lock (the vote)."""
    waiting = sa.text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with engine.connect() as probe:
            if probe.execute(waiting).scalar_one():
                return
        time.sleep(0.05)
    raise AssertionError("the vote never waited for the challenge's lock")
