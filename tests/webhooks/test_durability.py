"""Nothing is lost when a process dies between the commit and the send, and two dispatchers
never send one attempt twice."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import create_db_engine
from app.core.migrations import upgrade
from app.main import create_app
from app.models import Member, Role, WebhookAttempt, WebhookDelivery
from app.webhooks import dispatcher, service, signing
from app.webhooks.schemas import WebhookCreate
from tests.conftest import is_postgres, make_settings
from tests.factories import PASSWORD
from tests.webhooks.conftest import SECRET, Receiver, make_webhook

SANGGAR = str(Path(sys.executable).with_name("sanggar"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(database_url: str, port: int, *, dispatch: bool, cwd: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SANGGAR_DATABASE_URL": database_url,
        "SANGGAR_SECRET_KEY": "durability-test-key-" + "x" * 40,
        "SANGGAR_RATE_LIMIT_ENABLED": "false",
        "SANGGAR_PASSWORD_HASH_MEMORY_KIB": "1024",
        "SANGGAR_PASSWORD_HASH_TIME_COST": "1",
        "SANGGAR_WEBHOOKS_ALLOW_PRIVATE": "true",
        "SANGGAR_PERIODIC_JOBS_ENABLED": "true" if dispatch else "false",
        "SANGGAR_WEBHOOK_DISPATCH_SECONDS": "0.2",
        "SANGGAR_LOG_LEVEL": "WARNING",
    }
    with (cwd / f"serve-{port}.log").open("wb") as log:  # the child keeps its own handle
        process = subprocess.Popen(
            [SANGGAR, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until(lambda: _answers(port), what="the server to start")
    except AssertionError:
        process.kill()
        raise AssertionError((cwd / f"serve-{port}.log").read_text()[-2000:]) from None
    return process


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_until(condition: object, *, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_process_killed_before_sending_loses_nothing(tmp_path: Path, receiver: Receiver) -> None:
    database_url = f"sqlite:///{tmp_path / 'durable.db'}"
    upgrade(database_url)
    settings = make_settings(database_url, webhooks_allow_private=True)
    engine = create_db_engine(settings)
    with Session(engine, expire_on_commit=False) as session:
        admin = Member(
            email="admin@example.com",
            handle="admin",
            handle_key="admin",
            display_name="Admin",
            password_hash="-",
            role=Role.ADMIN,
        )
        session.add(admin)
        session.flush()
        data = WebhookCreate(url=receiver.url, events=["member.joined"], secret=SECRET)
        service.create_webhook(session, settings, creator=admin, data=data)
        session.commit()
    engine.dispose()

    port = _free_port()
    first = _serve(database_url, port, dispatch=False, cwd=tmp_path)
    try:
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/register",
            json={
                "email": "rina@example.com",
                "password": PASSWORD,
                "handle": "rina",
                "display_name": "Rina",
            },
        )
        assert response.status_code == 201, response.text
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert receiver.requests == []  # committed, never sent

    second = _serve(database_url, _free_port(), dispatch=True, cwd=tmp_path)
    try:
        _wait_until(lambda: receiver.requests, what="the delivery after the restart")
    finally:
        second.terminate()
        second.wait(timeout=10)

    [request] = receiver.requests
    assert signing.verify(SECRET, request.headers["Sanggar-Signature"], request.body)
    payload = json.loads(request.body)
    assert payload["type"] == "member.joined" and payload["data"]["handle"] == "rina"


@pytest.mark.postgres_only
@pytest.mark.skipif(not is_postgres(), reason="real concurrent claims need PostgreSQL")
def test_two_dispatchers_send_each_attempt_once(
    app: FastAPI, engine: Engine, receiver: Receiver, dispatch_settings: Settings, admin: Member
) -> None:
    webhook = make_webhook(app, dispatch_settings, admin, url=receiver.url, events=["idea.created"])
    with Session(engine) as session:
        for n in range(60):
            service.enqueue(
                session, event_type="idea.created", data={"idea_id": n, "title": f"Idea {n}"}
            )
        session.commit()
    start = threading.Barrier(2)

    def run() -> int:
        start.wait()
        with Session(engine, expire_on_commit=False) as session:
            return dispatcher.dispatch(session, dispatch_settings)

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(run())) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sum(results) == 60
    ids = [json.loads(r.body)["id"] for r in receiver.requests]
    assert len(ids) == 60 and len(set(ids)) == 60
    with Session(engine) as session:
        rows = session.exec(
            select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
        ).all()
        attempts = session.exec(select(WebhookAttempt).order_by(col(WebhookAttempt.id))).all()
    assert {r.status for r in rows} == {"succeeded"}
    assert all(r.attempt_count == 1 for r in rows)
    assert len(attempts) == 60


def test_a_graceful_shutdown_hands_its_claims_to_another_process_at_once(
    app: FastAPI, database_url: str, dispatch_settings: Settings, admin: Member
) -> None:
    """A process that stops while it holds leases (claimed, not yet recorded) releases them
    as it shuts down: another process claims them at once, not a lease later."""
    events = ["idea.created"]
    make_webhook(app, dispatch_settings, admin, url="http://127.0.0.1:9/hook", events=events)
    with Session(app.state.engine) as session:
        for n in range(3):
            service.enqueue(session, event_type="idea.created", data={"idea_id": n})
        session.commit()
    # Its periodic jobs run (so its shutdown is the real one) but never come round in the test.
    leaving = create_app(
        make_settings(database_url, periodic_jobs_enabled=True, webhook_dispatch_seconds=3600)
    )
    with TestClient(leaving), Session(leaving.state.engine) as session:
        held = dispatcher.claim(session, now=utcnow())
        assert len(held) == 3
        assert dispatcher.claim(session, now=utcnow()) == []  # leased: nobody else takes them
    with Session(app.state.engine) as session:
        taken = dispatcher.claim(session, now=utcnow())
    assert sorted(c.delivery_id for c in taken) == sorted(c.delivery_id for c in held)
