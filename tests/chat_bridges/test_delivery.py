"""Messages go out through the webhook outbox and dispatcher, to a local stand-in of each
platform that checks the request the platform documents; retries, 429s and switching off."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.challenges.sweep import sweep
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.domain_events import IdeaCreated, publish
from app.models import (
    ChatBridge,
    Member,
    Notification,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
)
from app.webhooks import dispatcher
from tests.challenges.helpers import create_challenge, move_to, organizer, submit, vote
from tests.chat_bridges.conftest import (
    BOT_TOKEN,
    MATRIX_TOKEN,
    TARGETS,
    Platform,
    Request,
    make_bridge,
)
from tests.conftest import is_postgres, make_settings
from tests.factories import member_with_headers
from tests.webhooks.conftest import Receiver, make_webhook


def dispatch(engine: Engine, settings: Settings) -> int:
    with Session(engine, expire_on_commit=False) as session:
        return dispatcher.dispatch(session, settings)


def deliveries(engine: Engine) -> list[WebhookDelivery]:
    with Session(engine) as session:
        return list(session.exec(select(WebhookDelivery).order_by(col(WebhookDelivery.id))))


def make_due(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.update(WebhookDelivery)
            .where(col(WebhookDelivery.status) == "pending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )


TITLE = "<b>@everyone</b> & friends"


def announce_idea(engine: Engine, title: str = TITLE) -> None:
    """An idea is proposed: the domain event the app publishes, in a committed transaction."""
    with Session(engine) as session:
        publish(session, IdeaCreated(idea_id=19, title=title, actor_id=None))
        session.commit()


def only(platform: Platform) -> Request:
    [request] = platform.requests
    return request


def test_discord(
    app: FastAPI, engine: Engine, bridge_settings: Settings, admin: Member, platform: Platform
) -> None:
    make_bridge(app, bridge_settings, admin, kind="discord", events=["idea.created"])
    announce_idea(engine)
    assert dispatch(engine, bridge_settings) == 1
    request = only(platform)
    assert request.method == "POST"
    assert request.path == "/api/webhooks/1234567890/AbCdEfGhIjKlXk3f"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {
        "content": "New idea: \\<b\\>@\u2060everyone\\</b\\> & friends",
        "embeds": [
            {
                "title": "New idea: \\<b\\>@\u2060everyone\\</b\\> & friends",
                "url": "https://komunitas.example/ideas/19",
                "description": "",
            }
        ],
        "allowed_mentions": {"parse": []},
    }
    [delivery] = deliveries(engine)
    assert delivery.status == "succeeded" and delivery.chat_bridge_id is not None


def test_slack(
    app: FastAPI, engine: Engine, bridge_settings: Settings, admin: Member, platform: Platform
) -> None:
    make_bridge(app, bridge_settings, admin, kind="slack", events=["idea.created"], locale="id")
    announce_idea(engine)
    assert dispatch(engine, bridge_settings) == 1
    request = only(platform)
    assert (request.method, request.path) == ("POST", "/services/T000/B000/XXXXSecretXk3f")
    headline = "Ide baru: &lt;b&gt;@\u2060everyone&lt;/b&gt; &amp; friends"
    assert request.json() == {
        "text": headline,
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{headline}*\n<https://komunitas.example/ideas/19|Buka di Sanggar>",
                },
            }
        ],
    }


def test_telegram(
    app: FastAPI, engine: Engine, bridge_settings: Settings, admin: Member, platform: Platform
) -> None:
    make_bridge(app, bridge_settings, admin, kind="telegram", events=["idea.created"])
    announce_idea(engine)
    assert dispatch(engine, bridge_settings) == 1
    request = only(platform)
    assert (request.method, request.path) == ("POST", f"/bot{BOT_TOKEN}/sendMessage")
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {
        "chat_id": -1001234567890,
        "text": "<b>New idea: &lt;b&gt;@\u2060everyone&lt;/b&gt; &amp; friends</b>\n"
        '<a href="https://komunitas.example/ideas/19">Open in Sanggar</a>',
        "parse_mode": "HTML",
    }


def test_matrix(
    app: FastAPI, engine: Engine, bridge_settings: Settings, admin: Member, platform: Platform
) -> None:
    make_bridge(app, bridge_settings, admin, kind="matrix", events=["idea.created"])
    announce_idea(engine)
    assert dispatch(engine, bridge_settings) == 1
    request = only(platform)
    [delivery] = deliveries(engine)
    room = quote("!AbCdEf:example.org", safe="")
    assert request.method == "PUT"
    assert request.path == (
        f"/_matrix/client/v3/rooms/{room}/send/m.room.message/{delivery.public_id}"
    )
    assert request.headers["Authorization"] == f"Bearer {MATRIX_TOKEN}"
    assert request.json() == {
        "msgtype": "m.text",
        "body": "New idea: <b>@\u2060everyone</b> & friends\nhttps://komunitas.example/ideas/19",
        "format": "org.matrix.custom.html",
        "formatted_body": "<b>New idea: &lt;b&gt;@\u2060everyone&lt;/b&gt; &amp; friends</b><br>"
        '<a href="https://komunitas.example/ideas/19">Open in Sanggar</a>',
        "m.mentions": {},
    }


def test_webhooks_and_bridges_share_the_event_and_the_webhook_bytes_stay(
    app: FastAPI,
    engine: Engine,
    bridge_settings: Settings,
    admin: Member,
    platform: Platform,
    receiver: Receiver,
) -> None:
    make_webhook(app, bridge_settings, admin, url=receiver.url, events=["idea.created"])
    make_bridge(app, bridge_settings, admin, kind="telegram", events=["idea.created"])
    make_bridge(app, bridge_settings, admin, kind="discord", events=["member.joined"])
    announce_idea(engine)
    assert dispatch(engine, bridge_settings) == 2
    with Session(engine) as session:
        [event] = session.exec(select(WebhookEvent)).all()
    rows = deliveries(engine)
    assert {r.event_id for r in rows} == {event.id}
    assert sorted((r.webhook_id is None, r.chat_bridge_id is None) for r in rows) == [
        (False, True),
        (True, False),
    ]
    [request] = receiver.requests
    assert json.loads(request.body)["data"] == {"idea_id": 19, "title": TITLE, "actor_id": None}
    assert len(platform.requests) == 1


def test_an_inactive_bridge_gets_nothing_and_a_pending_message_waits(
    app: FastAPI, engine: Engine, bridge_settings: Settings, admin: Member, platform: Platform
) -> None:
    bridge = make_bridge(app, bridge_settings, admin, kind="slack", events=["idea.created"])
    announce_idea(engine)
    with engine.begin() as connection:
        connection.execute(sa.update(ChatBridge).values(active=False))
    assert dispatch(engine, bridge_settings) == 0
    announce_idea(engine)
    assert len(deliveries(engine)) == 1  # nothing written for an inactive bridge
    with engine.begin() as connection:
        connection.execute(
            sa.update(ChatBridge).where(col(ChatBridge.id) == bridge.id).values(active=True)
        )
    assert dispatch(engine, bridge_settings) == 1


def test_a_retry_reuses_matrixs_transaction_id(
    app: FastAPI, engine: Engine, bridge_settings: Settings, admin: Member, platform: Platform
) -> None:
    make_bridge(app, bridge_settings, admin, kind="matrix", events=["idea.created"])
    platform.answers = [(502, b"bad gateway", {}), (200, b'{"event_id":"$abc"}', {})]
    announce_idea(engine)
    assert dispatch(engine, bridge_settings) == 1
    [delivery] = deliveries(engine)
    assert delivery.status == "pending" and delivery.attempt_count == 1
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at >= utcnow() + timedelta(seconds=25)  # base 30 s
    make_due(engine)
    assert dispatch(engine, bridge_settings) == 1
    first, second = platform.requests
    assert first.path == second.path and first.path.endswith("/" + delivery.public_id)
    assert first.body == second.body
    [delivery] = deliveries(engine)
    assert delivery.status == "succeeded"


@pytest.mark.parametrize(
    ("kind", "answer", "wait"),
    [
        (
            "discord",
            (
                429,
                b'{"message":"You are being rate limited.","retry_after":600.5,"global":false}',
                {},
            ),
            600.5,
        ),
        (
            "telegram",
            (
                429,
                b'{"ok":false,"error_code":429,"description":"Too Many Requests: retry after '
                b'900","parameters":{"retry_after":900}}',
                {},
            ),
            900,
        ),
        ("slack", (429, b"rate_limited", {"Retry-After": "1200"}), 1200),
    ],
)
def test_a_platforms_429_is_honoured(
    app: FastAPI,
    engine: Engine,
    bridge_settings: Settings,
    admin: Member,
    platform: Platform,
    kind: str,
    answer: tuple[int, bytes, dict[str, str]],
    wait: float,
) -> None:
    make_bridge(app, bridge_settings, admin, kind=kind, events=["idea.created"])
    platform.answers = [answer]
    announce_idea(engine)
    before = utcnow()
    assert dispatch(engine, bridge_settings) == 1
    [delivery] = deliveries(engine)
    assert delivery.status == "pending" and delivery.next_attempt_at is not None
    assert delivery.next_attempt_at >= before + timedelta(seconds=wait)
    assert dispatch(engine, bridge_settings) == 0  # not before then
    with Session(engine) as session:
        [attempt] = session.exec(select(WebhookAttempt)).all()
    assert attempt.status_code == 429
    make_due(engine)
    assert dispatch(engine, bridge_settings) == 1
    assert deliveries(engine)[0].status == "succeeded"


def test_a_bridge_failing_again_and_again_is_switched_off_and_admins_told(
    app: FastAPI, engine: Engine, database_url: str, admin: Member, platform: Platform
) -> None:
    settings = _settings(
        database_url, platform, webhook_max_attempts=1, webhook_disable_after_failures=5
    )
    bridge = make_bridge(app, settings, admin, kind="telegram", events=["idea.created"])
    platform.answers = [(403, b'{"ok":false,"description":"Forbidden: bot was kicked"}', {})] * 6
    for n in range(4):
        announce_idea(engine, title=f"Idea {n}")
        dispatch(engine, settings)
    with Session(engine) as session:
        current = session.get(ChatBridge, bridge.id)
        assert current is not None and current.active and current.consecutive_failures == 4
    announce_idea(engine, title="Idea 5")
    dispatch(engine, settings)
    with Session(engine) as session:
        current = session.get(ChatBridge, bridge.id)
        assert current is not None
        assert not current.active and current.disabled_reason
        [notice] = session.exec(
            select(Notification).where(Notification.type == "chat_bridge.disabled")
        ).all()
    assert notice.member_id == admin.id and "The telegram group" in notice.body
    assert [d.status for d in deliveries(engine)] == ["failed"] * 5


def test_an_unreadable_secret_fails_the_delivery_with_a_reason(
    app: FastAPI, engine: Engine, bridge_settings: Settings, admin: Member, platform: Platform
) -> None:
    make_bridge(app, bridge_settings, admin, kind="discord", events=["idea.created"])
    announce_idea(engine)
    other_key = _settings(bridge_settings.database_url, platform, secret_key="z" * 64)
    assert dispatch(engine, other_key) == 1
    assert platform.requests == []
    with Session(engine) as session:
        [attempt] = session.exec(select(WebhookAttempt)).all()
    assert attempt.error is not None and "SANGGAR_SECRET_KEY" in attempt.error


def _settings(database_url: str, platform: Platform, **overrides: object) -> Settings:
    return make_settings(
        database_url,
        webhooks_allow_private=True,
        app_url="https://komunitas.example",
        chat_bridge_base_urls=dict.fromkeys(TARGETS, platform.base_url),
        **overrides,
    )


@pytest.mark.postgres_only
@pytest.mark.skipif(not is_postgres(), reason="real concurrent claims need PostgreSQL")
def test_two_dispatchers_post_each_message_once(
    app: FastAPI, engine: Engine, bridge_settings: Settings, admin: Member, platform: Platform
) -> None:
    make_bridge(app, bridge_settings, admin, kind="matrix", events=["idea.created"])
    for n in range(30):
        announce_idea(engine, title=f"Idea {n}")
    start = threading.Barrier(2)

    def run() -> int:
        start.wait()
        return dispatch(engine, bridge_settings)

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(run())) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(results) == 30
    paths = [r.path for r in platform.requests]
    assert len(paths) == 30 and len(set(paths)) == 30
    assert {d.status for d in deliveries(engine)} == {"succeeded"}


def close_challenge(client: TestClient, app: FastAPI, engine: Engine, *, entries: int) -> list[int]:
    """A challenge closes through the sweep; the works entered, in order of their votes."""
    headers = organizer(app)
    challenge = create_challenge(client, headers, "open", title="<i>Rain</i> & @here")
    works = [
        submit(client, challenge["id"], member_with_headers(app)[1])["id"] for _ in range(entries)
    ]
    move_to(client, headers, challenge["id"], "voting")
    if works:
        vote(client, works[-1], member_with_headers(app)[1])  # the last one entered wins
    move_to(client, headers, challenge["id"], "closed")
    with Session(engine) as session:
        sweep(session)
        session.commit()
    return [challenge["id"], *reversed(works)]


def test_telegram_sends_the_winners_share_card_with_sendphoto(
    client: TestClient,
    app: FastAPI,
    engine: Engine,
    bridge_settings: Settings,
    admin: Member,
    platform: Platform,
) -> None:
    settings = bridge_settings.model_copy(update={"public_base_url": "https://api.example/"})
    make_bridge(app, settings, admin, kind="telegram", events=["challenge.closed"])
    make_bridge(app, settings, admin, kind="discord", events=["challenge.closed"])
    challenge_id, winner, *_ = close_challenge(client, app, engine, entries=2)
    assert dispatch(engine, settings) == 2
    card = f"https://api.example/api/v1/submissions/{winner}/card.png"
    by_path = {request.path: request for request in platform.requests}
    telegram = by_path[f"/bot{BOT_TOKEN}/sendPhoto"]
    assert (telegram.method, telegram.headers["Content-Type"]) == ("POST", "application/json")
    assert telegram.json() == {
        "chat_id": -1001234567890,
        "photo": card,
        "caption": "<b>Results are out: &lt;i&gt;Rain&lt;/i&gt; &amp; @\u2060here</b>\n"
        f'<a href="https://komunitas.example/challenges/{challenge_id}">Open in Sanggar</a>',
        "parse_mode": "HTML",
    }
    [embed] = by_path["/api/webhooks/1234567890/AbCdEfGhIjKlXk3f"].json()["embeds"]
    assert embed["image"] == {"url": card}


@pytest.mark.parametrize(
    ("public_base_url", "entries"),
    [(None, 1), ("https://api.example", 0)],
    ids=["no-url", "no-winner"],
)
def test_without_a_public_address_or_a_winner_telegram_sends_a_message(
    client: TestClient,
    app: FastAPI,
    engine: Engine,
    bridge_settings: Settings,
    admin: Member,
    platform: Platform,
    public_base_url: str | None,
    entries: int,
) -> None:
    settings = bridge_settings.model_copy(update={"public_base_url": public_base_url})
    make_bridge(app, settings, admin, kind="telegram", events=["challenge.closed"])
    challenge_id, *_ = close_challenge(client, app, engine, entries=entries)
    assert dispatch(engine, settings) == 1
    request = only(platform)
    assert request.path == f"/bot{BOT_TOKEN}/sendMessage"
    assert request.json() == {
        "chat_id": -1001234567890,
        "text": "<b>Results are out: &lt;i&gt;Rain&lt;/i&gt; &amp; @\u2060here</b>\n"
        f'<a href="https://komunitas.example/challenges/{challenge_id}">Open in Sanggar</a>',
        "parse_mode": "HTML",
    }


def showcase_a_winner(client: TestClient, app: FastAPI, engine: Engine) -> int:
    """A work with markup and mentions in its title wins a challenge that closes through the
    sweep: it enters the showcase."""
    headers = organizer(app)
    challenge = create_challenge(client, headers, "open", title="<i>Rain</i> & @here")
    work = submit(client, challenge["id"], member_with_headers(app)[1], title=TITLE)
    move_to(client, headers, challenge["id"], "voting")
    vote(client, work["id"], member_with_headers(app)[1])
    move_to(client, headers, challenge["id"], "closed")
    with Session(engine) as session:
        sweep(session)
        session.commit()
    work_id: int = work["id"]
    return work_id


def _showcased_request(kind: str, work: int, delivery_id: str) -> tuple[str, str, object]:
    """The platform's documented request for a showcased winner: (method, path, body)."""
    link = f"https://komunitas.example/submissions/{work}"
    card = f"https://api.example/api/v1/submissions/{work}/card.png"
    if kind == "discord":  # in English
        headline = "In the showcase: \\<b\\>@\u2060everyone\\</b\\> & friends"
        embed = {
            "title": headline,
            "url": link,
            "description": "A winning work of the challenge \\<i\\>Rain\\</i\\> & @\u2060here.",
            "image": {"url": card},
        }
        body: dict[str, object] = {
            "content": headline,
            "embeds": [embed],
            "allowed_mentions": {"parse": []},
        }
        return "POST", "/api/webhooks/1234567890/AbCdEfGhIjKlXk3f", body
    if kind == "slack":  # in Indonesian
        headline = "Masuk etalase karya: &lt;b&gt;@\u2060everyone&lt;/b&gt; &amp; friends"
        text = (
            f"*{headline}*\nKarya pemenang tantangan &lt;i&gt;Rain&lt;/i&gt; &amp; @\u2060here."
            f"\n<{link}|Buka di Sanggar>"
        )
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
        return "POST", "/services/T000/B000/XXXXSecretXk3f", {"text": headline, "blocks": blocks}
    if kind == "telegram":  # in English, the share card as the photo
        caption = (
            "<b>In the showcase: &lt;b&gt;@\u2060everyone&lt;/b&gt; &amp; friends</b>\n"
            "A winning work of the challenge &lt;i&gt;Rain&lt;/i&gt; &amp; @\u2060here.\n"
            f'<a href="{link}">Open in Sanggar</a>'
        )
        body = {"chat_id": -1001234567890, "photo": card, "caption": caption, "parse_mode": "HTML"}
        return "POST", f"/bot{BOT_TOKEN}/sendPhoto", body
    room = quote("!AbCdEf:example.org", safe="")  # Matrix, in Indonesian
    body = {
        "msgtype": "m.text",
        "body": "Masuk etalase karya: <b>@\u2060everyone</b> & friends\n"
        f"Karya pemenang tantangan <i>Rain</i> & @\u2060here.\n{link}",
        "format": "org.matrix.custom.html",
        "formatted_body": "<b>Masuk etalase karya: &lt;b&gt;@\u2060everyone&lt;/b&gt; &amp; "
        "friends</b><br>Karya pemenang tantangan &lt;i&gt;Rain&lt;/i&gt; &amp; @\u2060here.<br>"
        f'<a href="{link}">Buka di Sanggar</a>',
        "m.mentions": {},
    }
    return "PUT", f"/_matrix/client/v3/rooms/{room}/send/m.room.message/{delivery_id}", body


@pytest.mark.parametrize(
    ("kind", "locale"),
    [("discord", "en"), ("slack", "id"), ("telegram", "en"), ("matrix", "id")],
)
def test_a_work_entering_the_showcase_on_each_platform(
    client: TestClient,
    app: FastAPI,
    engine: Engine,
    bridge_settings: Settings,
    admin: Member,
    platform: Platform,
    kind: str,
    locale: str,
) -> None:
    settings = bridge_settings.model_copy(update={"public_base_url": "https://api.example"})
    make_bridge(app, settings, admin, kind=kind, events=["submission.showcased"], locale=locale)
    work = showcase_a_winner(client, app, engine)
    assert dispatch(engine, settings) == 1
    request = only(platform)
    [delivery] = deliveries(engine)
    method, path, body = _showcased_request(kind, work, delivery.public_id)
    assert (request.method, request.path) == (method, path)
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == body


def test_without_a_public_address_telegram_tells_of_a_showcased_work_in_a_message(
    client: TestClient,
    app: FastAPI,
    engine: Engine,
    bridge_settings: Settings,
    admin: Member,
    platform: Platform,
) -> None:
    make_bridge(app, bridge_settings, admin, kind="telegram", events=["submission.showcased"])
    work = showcase_a_winner(client, app, engine)
    assert dispatch(engine, bridge_settings) == 1
    request = only(platform)
    assert request.path == f"/bot{BOT_TOKEN}/sendMessage"
    _method, _path, photo = _showcased_request("telegram", work, "")
    assert isinstance(photo, dict)
    assert request.json() == {
        "chat_id": -1001234567890,
        "text": photo["caption"],
        "parse_mode": "HTML",
    }
