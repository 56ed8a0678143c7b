"""The phase sweep: each crossing announced once (also when sweeps run twice or at once),
never again after dates move back, and the notifications each crossing sends."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.challenges.sweep import sweep
from app.core import periodic
from app.core.clock import utcnow
from app.core.domain_events import (
    ChallengeClosed,
    ChallengeOpened,
    ChallengePhaseReached,
    ChallengeVotingStarted,
    DomainEvent,
)
from app.models import Role
from tests.challenges.helpers import (
    create_challenge,
    move_to,
    notification_types,
    organizer,
    submit,
    vote,
)
from tests.factories import auth_headers, make_member, member_with_headers

PHASE_EVENTS = (ChallengeOpened, ChallengeVotingStarted, ChallengeClosed)
Announced = list[tuple[type[ChallengePhaseReached], int]]


def run_sweep(engine: Engine, now: datetime | None = None) -> Announced:
    with Session(engine) as session:
        announced = sweep(session, now=now)
        session.commit()
    return announced


def _announced(
    published: list[DomainEvent], challenge_id: int
) -> list[type[ChallengePhaseReached]]:
    return [
        type(e)
        for e in published
        if isinstance(e, ChallengePhaseReached) and e.challenge_id == challenge_id
    ]


def test_each_crossing_is_announced_once_even_when_swept_twice(
    client: TestClient, app: FastAPI, engine: Engine, published: list[DomainEvent]
) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers, "upcoming")
    assert run_sweep(engine) == []
    for phase, announced in zip(("open", "voting", "closed"), PHASE_EVENTS, strict=True):
        move_to(client, headers, challenge["id"], phase)
        assert run_sweep(engine) == [(announced, challenge["id"])]
        assert run_sweep(engine) == []
    assert _announced(published, challenge["id"]) == list(PHASE_EVENTS)


def test_a_sweep_at_a_given_time_announces_what_is_due_then(
    client: TestClient, app: FastAPI, engine: Engine
) -> None:
    challenge = create_challenge(client, organizer(app), "upcoming")  # opens in a day
    assert run_sweep(engine, now=utcnow() + timedelta(hours=36)) == [
        (ChallengeOpened, challenge["id"])
    ]
    # Three days on, both later crossings are due: announced in order, in one sweep.
    assert run_sweep(engine, now=utcnow() + timedelta(days=4)) == [
        (ChallengeVotingStarted, challenge["id"]),
        (ChallengeClosed, challenge["id"]),
    ]


def test_concurrent_sweeps_announce_each_crossing_once(
    client: TestClient, app: FastAPI, engine: Engine, published: list[DomainEvent]
) -> None:
    headers = organizer(app)
    ids = [create_challenge(client, headers, "closed")["id"] for _ in range(5)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: run_sweep(engine), range(4)))
    announced = sorted((t.__name__, i) for result in results for t, i in result)
    assert announced == sorted((t.__name__, i) for t in PHASE_EVENTS for i in ids)
    for challenge_id in ids:
        assert _announced(published, challenge_id) == list(PHASE_EVENTS)


def test_dates_moved_back_are_not_announced_again(
    client: TestClient, app: FastAPI, engine: Engine
) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers, "open")
    assert run_sweep(engine) == [(ChallengeOpened, challenge["id"])]
    move_to(client, headers, challenge["id"], "upcoming")
    assert run_sweep(engine) == []
    move_to(client, headers, challenge["id"], "open")
    assert run_sweep(engine) == []


def test_drafts_are_announced_once_published(
    client: TestClient, app: FastAPI, engine: Engine
) -> None:
    headers = organizer(app)
    draft = create_challenge(client, headers, "upcoming", published=False)
    client.patch(
        f"/api/v1/challenges/{draft['id']}",
        json={"submissions_open_at": utcnow().isoformat()},
        headers=headers,
    )
    assert run_sweep(engine) == []
    client.patch(f"/api/v1/challenges/{draft['id']}", json={"published": True}, headers=headers)
    assert run_sweep(engine) == [(ChallengeOpened, draft["id"])]


def test_opening_notifies_members_of_the_discipline_and_those_with_none(
    client: TestClient, app: FastAPI, engine: Engine
) -> None:
    creator = make_member(app, role=Role.ORGANIZER)
    creator_headers = auth_headers(app, creator)
    photographer = auth_headers(app, make_member(app, disciplines=["photography", "design"]))
    writer = auth_headers(app, make_member(app, disciplines=["writing"]))
    newcomer = auth_headers(app, make_member(app))
    create_challenge(client, creator_headers, "open", discipline="photography")
    run_sweep(engine)
    assert "challenge.opened" in notification_types(client, photographer)
    assert "challenge.opened" in notification_types(client, newcomer)
    assert "challenge.opened" not in notification_types(client, writer)
    assert "challenge.opened" not in notification_types(client, creator_headers)


def test_voting_and_results_notify_those_who_took_part(
    client: TestClient, app: FastAPI, engine: Engine
) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers, "open")
    run_sweep(engine)
    _, author = member_with_headers(app, disciplines=["writing"])
    _, voter = member_with_headers(app, disciplines=["writing"])
    _, bystander = member_with_headers(app, disciplines=["writing"])
    work = submit(client, challenge["id"], author)
    move_to(client, headers, challenge["id"], "voting")
    run_sweep(engine)
    vote(client, work["id"], voter)
    move_to(client, headers, challenge["id"], "closed")
    run_sweep(engine)
    # (The author also hears of badges: first submission, challenge winner.)
    told = [kind for kind in notification_types(client, author) if kind != "badge.awarded"]
    assert told[:2] == ["challenge.results", "challenge.voting_started"]
    assert notification_types(client, voter) == ["challenge.results", "member.welcome"]
    assert notification_types(client, bystander) == ["member.welcome"]


def test_late_announcements_send_only_the_current_notification(
    client: TestClient, app: FastAPI, engine: Engine, published: list[DomainEvent]
) -> None:
    """After a downtime the sweep announces every crossing it missed, in order, but tells
    members only about the phase the challenge is in now."""
    headers = organizer(app)
    challenge = create_challenge(client, headers, "open")
    _, author = member_with_headers(app)
    submit(client, challenge["id"], author)
    move_to(client, headers, challenge["id"], "closed")
    run_sweep(engine)
    assert _announced(published, challenge["id"]) == list(PHASE_EVENTS)
    types = notification_types(client, author)
    assert "challenge.results" in types
    assert "challenge.opened" not in types
    assert "challenge.voting_started" not in types


def test_the_sweep_is_a_registered_periodic_job(
    client: TestClient, app: FastAPI, engine: Engine, published: list[DomainEvent]
) -> None:
    challenge = create_challenge(client, organizer(app), "open")
    job = periodic.JOBS["challenge_phases"]
    assert job.every(app.state.settings) == app.state.settings.challenge_sweep_seconds
    periodic.run_once(engine, job)
    assert _announced(published, challenge["id"]) == [ChallengeOpened]
    assert run_sweep(engine) == []  # committed: nothing is left to announce
