"""The challenge bot in the API guide (docs/API.md, "A bot in thirty lines") announces each
newly opened challenge once, read with a personal access token from a live server, to a chat
webhook."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.migrations import PROJECT_ROOT
from tests.challenges.helpers import create_challenge, organizer
from tests.factories import member_with_headers
from tests.webhooks.conftest import Receiver


def guide_bot() -> Callable[..., int]:
    guide = (PROJECT_ROOT / "docs" / "API.md").read_text()
    match = re.search(r"<!-- challenge-bot -->\n```python\n(.*?)```", guide, re.DOTALL)
    assert match, "the API guide's challenge bot snippet is missing"
    namespace: dict[str, Any] = {"__name__": "guide_bot"}  # not __main__: nothing runs
    exec(match.group(1), namespace)
    announce: Callable[..., int] = namespace["announce_new_challenges"]
    return announce


def _read_token(app: FastAPI, client: TestClient) -> str:
    _, headers = member_with_headers(app)
    response = client.post(
        "/api/v1/members/me/tokens", json={"name": "chat bot", "scopes": ["read"]}, headers=headers
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def _messages(receiver: Receiver) -> list[str]:
    bodies = [json.loads(request.body) for request in receiver.requests]
    assert all(body["text"] == body["content"] for body in bodies)
    return [body["text"] for body in bodies]


def test_the_guide_bot_announces_each_open_challenge_once(
    app: FastAPI, client: TestClient, live: str, receiver: Receiver, tmp_path: Path
) -> None:
    announce, token, seen = guide_bot(), _read_token(app, client), tmp_path / "announced.json"
    headers = organizer(app)
    create_challenge(client, headers, "open", title="Weekly photo challenge #48")
    create_challenge(client, headers, "upcoming", title="Not open yet")
    create_challenge(client, headers, "closed", title="Long over")

    assert announce(live, token, receiver.url, seen) == 1
    [message] = _messages(receiver)
    assert message.startswith("New challenge: Weekly photo challenge #48 (Morning light)")

    assert announce(live, token, receiver.url, seen) == 0, "announced twice"
    create_challenge(client, headers, "open", title="Weekly photo challenge #49")
    assert announce(live, token, receiver.url, seen) == 1
    assert "Weekly photo challenge #49" in _messages(receiver)[-1]
    assert len(json.loads(seen.read_text())) == 2
