"""Conversation test data, created through the HTTP API as a client would."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.challenges.helpers import create_challenge, move_to, organizer, submit

API = "/api/v1"
Headers = dict[str, str]


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def start_thread(client: TestClient, headers: Headers, **overrides: Any) -> dict[str, Any]:
    body = {"title": "Riso inks in humid weather", "body": "What do you use?", **overrides}
    return created(client.post(f"{API}/threads", json=body, headers=headers))


def reply(client: TestClient, thread_id: int, headers: Headers, body: str = "Soy inks.") -> Any:
    return client.post(f"{API}/threads/{thread_id}/posts", json={"body": body}, headers=headers)


def propose(client: TestClient, headers: Headers, title: str = "A print swap") -> dict[str, Any]:
    body = {"title": title, "body": "Five prints in, five out."}
    return created(client.post(f"{API}/ideas", json=body, headers=headers))


def work(app: FastAPI, client: TestClient, author: Headers, phase: str = "open") -> dict[str, Any]:
    """A work by `author` in a fresh challenge (moved to `phase` after submitting)."""
    staff = organizer(app)
    challenge = create_challenge(client, staff)
    submission = submit(client, challenge["id"], author)
    if phase != "open":
        move_to(client, staff, challenge["id"], phase)
    return submission


def comment(client: TestClient, submission_id: int, headers: Headers, body: str = "Lovely.") -> Any:
    return client.post(
        f"{API}/submissions/{submission_id}/comments", json={"body": body}, headers=headers
    )


def report(client: TestClient, headers: Headers, target_type: str, target_id: int) -> Any:
    body = {"target_type": target_type, "target_id": target_id, "reason": "Spam."}
    return client.post(f"{API}/reports", json=body, headers=headers)


def notifications(client: TestClient, headers: Headers) -> list[dict[str, Any]]:
    response = client.get(f"{API}/notifications", params={"limit": 100}, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]
