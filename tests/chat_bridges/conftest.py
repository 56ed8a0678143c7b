"""A local stand-in for Discord, Slack, Telegram and a Matrix homeserver: a real HTTP server
on 127.0.0.1 that records every request and answers what the test queued."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from app.chat_bridges import service
from app.chat_bridges.schemas import ChatBridgeCreate
from app.core.config import Settings
from app.models import ChatBridge, Member
from tests.conftest import make_settings
from tests.webhooks.conftest import admin, no_mail, public_dns, receiver

__all__ = ["admin", "no_mail", "public_dns", "receiver"]

DISCORD_URL = "https://discord.com/api/webhooks/1234567890/AbCdEfGhIjKlXk3f"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXSecretXk3f"
BOT_TOKEN = "123456789:AAF1x-secret-token-abcdefXk3f"
MATRIX_TOKEN = "syt_secret_access_token_Xk3f"
TARGETS: dict[str, dict[str, str]] = {
    "discord": {"webhook_url": DISCORD_URL},
    "slack": {"webhook_url": SLACK_URL},
    "telegram": {"bot_token": BOT_TOKEN, "chat_id": "-1001234567890"},
    "matrix": {
        "homeserver": "https://matrix.example.org",
        "room_id": "!AbCdEf:example.org",
        "access_token": MATRIX_TOKEN,
    },
}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Platform:
    base_url: str
    requests: list[Request] = field(default_factory=list)
    # Answers to give, in order: (status, body, headers); `200 {"ok": true}` once used up.
    answers: list[tuple[int, bytes, dict[str, str]]] = field(default_factory=list)
    # When set, the first request is held until the event is set (a send in flight).
    hold: threading.Event | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> tuple[int, bytes, dict[str, str]]:
        with self.lock:
            return self.answers.pop(0) if self.answers else (200, b'{"ok":true}', {})


@pytest.fixture
def platform() -> Iterator[Platform]:
    state = Platform(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with state.lock:
                first = not state.requests
                state.requests.append(
                    Request(self.command, self.path, dict(self.headers.items()), body)
                )
            if first and state.hold is not None:
                state.hold.wait(timeout=60)
            status, reply, headers = state.answer()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(reply)

        do_POST = _handle  # noqa: N815 (the handler's method names)
        do_PUT = _handle  # noqa: N815

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    if state.hold is not None:
        state.hold.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def bridge_settings(database_url: str, platform: Platform) -> Settings:
    """Every kind points at the local platform; the members' app is komunitas.example."""
    return make_settings(
        database_url,
        webhooks_allow_private=True,
        app_url="https://komunitas.example",
        chat_bridge_base_urls=dict.fromkeys(TARGETS, platform.base_url),
    )


def make_bridge(
    app: FastAPI,
    settings: Settings,
    creator: Member,
    *,
    kind: str,
    events: list[str],
    locale: str = "en",
    target: dict[str, str] | None = None,
) -> ChatBridge:
    with Session(app.state.engine, expire_on_commit=False) as session:
        data = ChatBridgeCreate.model_validate(
            {
                "kind": kind,
                "name": f"The {kind} group",
                "target": target or TARGETS[kind],
                "events": events,
                "locale": locale,
            }
        )
        bridge = service.create_bridge(session, settings, creator=creator, data=data)
        session.commit()
    return bridge
