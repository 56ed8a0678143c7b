"""A process killed around a send: the message goes out after the restart, once, or (killed
while the platform had it) a second time with the same Matrix transaction id."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.core.config import Settings
from app.core.domain_events import IdeaCreated, publish
from app.models import Member, WebhookAttempt, WebhookDelivery
from tests.chat_bridges.conftest import BOT_TOKEN, TARGETS, Platform, make_bridge
from tests.factories import PASSWORD
from tests.processes import TEST_SECRET, Server, http, server_env, wait_until


def _env(database_url: str, platform: Platform, *, dispatch: bool) -> dict[str, str]:
    assert TEST_SECRET  # the key the test's settings encrypt the bridges' secrets with
    return server_env(
        database_url,
        webhooks_allow_private="true",
        periodic_jobs_enabled="true" if dispatch else "false",
        webhook_dispatch_seconds="0.2",
        webhook_lease_seconds="2",
        rate_limit_enabled="false",
        log_level="WARNING",
        app_url="https://komunitas.example",
        chat_bridge_base_urls=json.dumps(dict.fromkeys(TARGETS, platform.base_url)),
    )


def _deliveries(engine: Engine) -> list[WebhookDelivery]:
    with Session(engine) as session:
        return list(session.exec(select(WebhookDelivery)).all())


def test_killed_while_matrix_had_the_message_it_is_sent_again_with_the_same_txn_id(
    app: FastAPI,
    engine: Engine,
    database_url: str,
    bridge_settings: Settings,
    admin: Member,
    platform: Platform,
    tmp_path: Path,
) -> None:
    assert bridge_settings.signing_key() == TEST_SECRET
    make_bridge(app, bridge_settings, admin, kind="matrix", events=["idea.created"])
    with Session(engine) as session:
        publish(session, IdeaCreated(idea_id=19, title="Zine swap", actor_id=None))
        session.commit()
    platform.hold = threading.Event()  # the homeserver takes the first request, and stalls

    first = Server(_env(database_url, platform, dispatch=True), tmp_path)
    try:
        wait_until(lambda: platform.requests, what="the first send")
    finally:
        first.kill()
        first.stop()
    platform.hold.set()
    [delivery] = _deliveries(engine)
    assert delivery.status == "pending" and delivery.lease_token is not None

    second = Server(_env(database_url, platform, dispatch=True), tmp_path)
    try:
        wait_until(
            lambda: _deliveries(engine)[0].status == "succeeded",
            what="the send after the lease expired",
        )
        time.sleep(1)  # a few more dispatch runs: nothing else goes out
    finally:
        second.stop()
    assert len(platform.requests) == 2
    held, again = platform.requests
    assert held.path == again.path and held.path.endswith("/" + delivery.public_id)
    assert held.method == again.method == "PUT" and held.body == again.body
    with Session(engine) as session:
        assert len(session.exec(select(WebhookAttempt)).all()) == 1


def test_killed_before_sending_the_message_goes_out_once_after_the_restart(
    app: FastAPI,
    engine: Engine,
    database_url: str,
    bridge_settings: Settings,
    admin: Member,
    platform: Platform,
    tmp_path: Path,
) -> None:
    make_bridge(app, bridge_settings, admin, kind="telegram", events=["member.joined"])
    first = Server(_env(database_url, platform, dispatch=False), tmp_path)
    try:
        response = http.post(
            f"{first.url}/api/v1/auth/register",
            json={
                "email": "rina@example.com",
                "password": PASSWORD,
                "handle": "rina",
                "display_name": "Rina <@everyone>",
            },
        )
        assert response.status_code == 201, response.text
    finally:
        first.kill()
        first.stop()
    assert platform.requests == []  # committed, never sent

    second = Server(_env(database_url, platform, dispatch=True), tmp_path)
    try:
        wait_until(lambda: platform.requests, what="the message after the restart")
        wait_until(
            lambda: _deliveries(engine)[0].status == "succeeded", what="the delivery recorded"
        )
        time.sleep(0.6)
    finally:
        second.stop()
    [request] = platform.requests
    assert request.path == f"/bot{BOT_TOKEN}/sendMessage"
    body = request.json()
    assert body["text"].startswith("<b>New member: Rina &lt;@\u2060everyone&gt;</b>\n")
    assert body["chat_id"] == -1001234567890 and body["parse_mode"] == "HTML"
