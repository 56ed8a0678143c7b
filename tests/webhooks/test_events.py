"""Every event type reaches the webhooks subscribed to it, with its documented payload,
written in the transaction of the change that caused it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.challenges.sweep import sweep
from app.core import domain_events
from app.core.config import Settings
from app.core.domain_events import AnnouncementPublished, BadgeAwarded, DomainEvent, IdeaCreated
from app.models import Member, WebhookDelivery, WebhookEvent
from app.webhooks import subscribers as webhook_subscribers
from app.webhooks.payloads import EVENT_TYPES, PAYLOADS, PING_PAYLOAD
from tests.challenges.helpers import create_challenge, move_to, submit, vote
from tests.events.helpers import create_event, organizer_headers
from tests.factories import make_member, member_with_headers, publish_only_to
from tests.projects.helpers import create_project
from tests.webhooks.conftest import make_webhook

ALL = list(EVENT_TYPES)


@pytest.fixture
def subscribed(app: FastAPI, dispatch_settings: Settings, admin: Member) -> int:
    webhook = make_webhook(app, dispatch_settings, admin, url="http://127.0.0.1:9/", events=ALL)
    assert webhook.id is not None
    return webhook.id


def payloads(engine: Engine, event_type: str) -> list[dict[str, Any]]:
    with Session(engine) as session:
        rows = session.exec(
            select(WebhookEvent)
            .where(WebhookEvent.type == event_type)
            .order_by(col(WebhookEvent.id))
        ).all()
    for row in rows:  # every payload matches its documented schema
        PAYLOADS[row.type].model.model_validate(row.data)
    return [row.data for row in rows]


@pytest.mark.parametrize("entry", [*PAYLOADS.values(), PING_PAYLOAD], ids=lambda e: e.name)
def test_every_documented_example_matches_its_schema(entry: Any) -> None:
    [example] = entry.model.model_json_schema()["examples"]
    entry.model.model_validate(example)


def test_member_and_project_events(
    client: TestClient, app: FastAPI, engine: Engine, subscribed: int
) -> None:
    newcomer, headers = member_with_headers(app, handle="budi", display_name="Budi Santoso")
    project = create_project(client, headers)
    response = client.patch(
        f"/api/v1/projects/{project['id']}", json={"status": "completed"}, headers=headers
    )
    assert response.status_code == 200, response.text

    [joined] = [p for p in payloads(engine, "member.joined") if p["member_id"] == newcomer.id]
    assert joined["handle"] == "budi" and joined["display_name"] == "Budi Santoso"
    [created] = payloads(engine, "project.created")
    assert created == {
        "project_id": project["id"],
        "title": project["title"],
        "kind": "ebook",
        "status": "proposed",
        "created_by_id": newcomer.id,
    }
    [completed] = payloads(engine, "project.completed")
    assert completed["member_ids"] == [newcomer.id] and completed["completed_at"]


def test_event_published_and_cancelled(
    client: TestClient, app: FastAPI, engine: Engine, subscribed: int
) -> None:
    headers = organizer_headers(app)
    event = create_event(client, headers)
    response = client.patch(
        f"/api/v1/events/{event['id']}", json={"status": "cancelled"}, headers=headers
    )
    assert response.status_code == 200, response.text

    [published] = payloads(engine, "event.published")
    assert published["event_id"] == event["id"] and published["title"] == event["title"]
    assert published["starts_at"] == event["starts_at"].replace("+00:00", "Z")
    assert published["timezone"] == "Asia/Jakarta"
    [cancelled] = payloads(engine, "event.cancelled")
    assert cancelled["event_id"] == event["id"] and cancelled["status"] == "cancelled"


def test_challenge_phases_and_submissions(
    client: TestClient, app: FastAPI, engine: Engine, subscribed: int
) -> None:
    headers = organizer_headers(app)
    challenge = create_challenge(client, headers, "upcoming", title="Weekly photo: rain")
    move_to(client, headers, challenge["id"], "open")
    with Session(engine) as session:
        sweep(session)
        session.commit()
    author, author_headers = member_with_headers(app)
    work = submit(client, challenge["id"], author_headers, title="Puddles")
    for phase in ("voting", "closed"):
        move_to(client, headers, challenge["id"], phase)
        with Session(engine) as session:
            sweep(session)
            session.commit()

    [opened] = payloads(engine, "challenge.opened")
    assert opened["challenge_id"] == challenge["id"] and opened["phase"] == "open"
    assert opened["title"] == "Weekly photo: rain"
    assert [p["phase"] for p in payloads(engine, "challenge.voting_started")] == ["voting"]
    assert [p["phase"] for p in payloads(engine, "challenge.closed")] == ["closed"]
    [entered] = payloads(engine, "submission.created")
    assert entered == {
        "submission_id": work["id"],
        "challenge_id": challenge["id"],
        "member_id": author.id,
        "title": "Puddles",
        "challenge_title": "Weekly photo: rain",
    }


def test_challenge_closed_names_the_winners_in_ranking_order(
    client: TestClient, app: FastAPI, engine: Engine, subscribed: int
) -> None:
    headers = organizer_headers(app)
    challenge = create_challenge(client, headers, "open", winners_count=2)
    entered = [
        submit(client, challenge["id"], member_with_headers(app)[1], title=title)
        for title in ("Dawn", "Noon", "Dusk")
    ]
    move_to(client, headers, challenge["id"], "voting")
    # Dusk (the last entered) gets two votes, Noon one, Dawn none.
    for work in (entered[2], entered[2], entered[1]):
        vote(client, work["id"], member_with_headers(app)[1])
    move_to(client, headers, challenge["id"], "closed")
    with Session(engine) as session:
        sweep(session)
        session.commit()

    [closed] = payloads(engine, "challenge.closed")
    assert closed["winner_submission_ids"] == [entered[2]["id"], entered[1]["id"]]
    assert closed["phase"] == "closed" and closed["challenge_id"] == challenge["id"]


def _moderate(
    client: TestClient, headers: dict[str, str], work: dict[str, Any], action: str
) -> None:
    response = client.post(
        f"/api/v1/submissions/{work['id']}/moderation", json={"action": action}, headers=headers
    )
    assert response.status_code == 200, response.text


def _sweep(engine: Engine) -> None:
    with Session(engine) as session:
        sweep(session)
        session.commit()


def _showcased(engine: Engine) -> list[tuple[int, bool, bool]]:
    return [
        (p["submission_id"], p["winner"], p["featured"])
        for p in payloads(engine, "submission.showcased")
    ]


def test_each_work_entering_the_showcase_is_announced_once(
    client: TestClient, app: FastAPI, engine: Engine, subscribed: int
) -> None:
    headers = organizer_headers(app)
    challenge = create_challenge(
        client, headers, "open", title="Weekly photo: rain", winners_count=1
    )
    author, author_headers = member_with_headers(app)
    dusk, noon, dawn = [
        submit(client, challenge["id"], h, title=title)
        for h, title in (
            (author_headers, "Dusk"),
            *((member_with_headers(app)[1], t) for t in ("Noon", "Dawn")),
        )
    ]
    move_to(client, headers, challenge["id"], "voting")
    for work in (dusk, dusk, noon):
        vote(client, work["id"], member_with_headers(app)[1])
    _moderate(client, headers, dawn, "feature")  # shown from the closing on
    move_to(client, headers, challenge["id"], "closed")
    assert _showcased(engine) == []  # not before the results are announced
    _sweep(engine)
    assert _showcased(engine) == [(dusk["id"], True, False), (dawn["id"], False, True)]
    [entered, _] = payloads(engine, "submission.showcased")
    assert entered == {
        "submission_id": dusk["id"],
        "challenge_id": challenge["id"],
        "member_id": author.id,
        "title": "Dusk",
        "challenge_title": "Weekly photo: rain",
        "winner": True,
        "featured": False,
    }
    _moderate(client, headers, dusk, "disqualify")  # Noon is promoted
    _moderate(client, headers, noon, "feature")  # already in: nothing new
    _moderate(client, headers, dawn, "unfeature")
    _moderate(client, headers, dawn, "feature")  # back in, announced before
    _sweep(engine)
    assert _showcased(engine)[2:] == [(noon["id"], True, False)]


def test_a_work_reinstated_after_the_results_is_announced_as_the_winner(
    client: TestClient, app: FastAPI, engine: Engine, subscribed: int
) -> None:
    headers = organizer_headers(app)
    challenge = create_challenge(client, headers, "open", winners_count=1)
    best, second = [submit(client, challenge["id"], member_with_headers(app)[1]) for _ in "ab"]
    move_to(client, headers, challenge["id"], "voting")
    for work in (best, best, second):
        vote(client, work["id"], member_with_headers(app)[1])
    _moderate(client, headers, best, "disqualify")
    move_to(client, headers, challenge["id"], "closed")
    _sweep(engine)
    assert _showcased(engine) == [(second["id"], True, False)]
    _moderate(client, headers, best, "reinstate")  # it wins again: the flags come from SQL
    assert _showcased(engine) == [(second["id"], True, False), (best["id"], True, False)]


@pytest.mark.parametrize(
    ("event_type", "event", "data", "actor_id"),
    [
        (
            "announcement.published",
            AnnouncementPublished(actor_id=2, announcement_id=3, title="Call", pinned=True),
            {"announcement_id": 3, "title": "Call", "pinned": True},
            2,
        ),
        (
            "idea.created",
            IdeaCreated(actor_id=31, idea_id=19, title="A zine swap"),
            {"idea_id": 19, "title": "A zine swap"},
            31,
        ),
        (
            "badge.awarded",
            BadgeAwarded(
                actor_id=2, member_id=31, badge_id=55, kind="award", code=None, title="MVP"
            ),
            {"member_id": 31, "badge_id": 55, "kind": "award", "code": None, "title": "MVP"},
            2,
        ),
    ],
)
def test_payloads_of_announcements_ideas_and_badges_carry_their_domain_data(
    engine: Engine,
    subscribed: int,
    event_type: str,
    event: DomainEvent,
    data: dict[str, Any],
    actor_id: int,
) -> None:
    """Only the webhook subscriber hears these made-up events (the others would look for
    the rows); tests/test_wiring.py sends the real requests."""
    publish_only_to(engine, webhook_subscribers, event)

    assert payloads(engine, event_type) == [{**data, "actor_id": actor_id}]


def test_one_event_is_shared_by_every_subscribed_active_webhook(
    app: FastAPI, engine: Engine, dispatch_settings: Settings, admin: Member
) -> None:
    url = "http://127.0.0.1:9/"
    first = make_webhook(app, dispatch_settings, admin, url=url, events=["idea.created"])
    second = make_webhook(app, dispatch_settings, admin, url=url, events=["idea.created"])
    make_webhook(app, dispatch_settings, admin, url=url, events=["member.joined"])
    inactive = make_webhook(app, dispatch_settings, admin, url=url, events=["idea.created"])
    with Session(engine) as session:
        session.get(type(inactive), inactive.id).active = False  # type: ignore[union-attr]
        session.commit()

    with Session(engine) as session:
        domain_events.publish(session, IdeaCreated(actor_id=1, idea_id=1, title="Zines"))
        session.commit()

    with Session(engine) as session:
        rows = session.exec(select(WebhookDelivery).order_by(col(WebhookDelivery.id))).all()
    assert [r.webhook_id for r in rows] == [first.id, second.id]
    assert len({r.event_id for r in rows}) == 1


def test_a_rolled_back_change_leaves_no_delivery(
    app: FastAPI, engine: Engine, subscribed: int
) -> None:
    with Session(engine) as session:
        domain_events.publish(session, IdeaCreated(actor_id=1, idea_id=1, title="Zines"))
        session.rollback()
    with Session(engine) as session:
        assert session.exec(select(WebhookDelivery)).all() == []
        assert session.exec(select(WebhookEvent)).all() == []


def test_a_type_nobody_subscribes_to_writes_nothing(app: FastAPI, engine: Engine) -> None:
    make_member(app)
    with Session(engine) as session:
        assert session.exec(select(WebhookEvent)).all() == []
