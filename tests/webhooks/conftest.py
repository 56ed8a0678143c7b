"""A real HTTP receiver on 127.0.0.1, and settings that let the dispatcher reach it."""

from __future__ import annotations

import contextlib
import ipaddress
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from app.core.config import Settings
from app.mail import outbox
from app.models import Member, Role, Webhook
from app.webhooks import safety, service
from app.webhooks.schemas import WebhookCreate
from tests.conftest import make_settings
from tests.factories import make_member

SECRET = "whsec_test-secret-for-the-receiver"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # Status codes to answer, in order; 200 once they are used up.
    statuses: list[int] = field(default_factory=list)
    # The response body; None answers `status <code>`.
    reply: bytes | None = None
    # When set, the reply is written a byte at a time with this pause between bytes.
    dribble_seconds: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 200


@pytest.fixture(autouse=True)
def no_mail(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests count the outbox's deliveries of webhooks (and chat bridges); the mails
    that share it (a new member's welcome, app/mail) are left out here and tested with the
    same dispatcher in tests/mail."""
    monkeypatch.setattr(outbox, "enqueue", lambda *_args, **_kwargs: None)
    monkeypatch.setattr(outbox, "enqueue_many", lambda *_args, **_kwargs: 0)


class _Server(ThreadingHTTPServer):
    # socketserver's backlog of 5 drops connections when several dispatchers send at once on
    # a loaded machine: the sender's connect then times out and the test counts a lost send.
    request_queue_size = 128


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with state.lock:
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
            status = state.answer()
            reply = state.reply if state.reply is not None else f"status {status}".encode()
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            # The sender may stop reading at its cap or deadline, as it should.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._write(reply)

        def _write(self, reply: bytes) -> None:
            if state.dribble_seconds is None:
                self.wfile.write(reply)
                return
            for byte in reply:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(state.dribble_seconds)

        def log_message(self, *_args: object) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def dispatch_settings(database_url: str) -> Settings:
    """The app's test settings, but private targets allowed (the receiver is on 127.0.0.1)."""
    return make_settings(database_url, webhooks_allow_private=True)


@pytest.fixture
def admin(app: FastAPI, engine: object) -> Member:
    return make_member(app, role=Role.ADMIN)


def make_webhook(
    app: FastAPI,
    settings: Settings,
    creator: Member,
    *,
    url: str,
    events: list[str],
    secret: str = SECRET,
) -> Webhook:
    with Session(app.state.engine, expire_on_commit=False) as session:
        data = WebhookCreate.model_validate({"url": url, "events": events, "secret": secret})
        webhook, _ = service.create_webhook(session, settings, creator=creator, data=data)
        session.commit()
    return webhook


@pytest.fixture
def public_dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every host resolves to a public documentation-free address; records what was looked up."""
    looked_up: list[str] = []

    def resolve(host: str, _port: int) -> list[safety.IPAddress]:
        looked_up.append(host)
        return [ipaddress.ip_address("93.184.216.34")]

    monkeypatch.setattr(safety, "resolve", resolve)
    return looked_up
