"""Posting is rate-limited per member, apart from the rest of the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import make_settings
from tests.conversation.helpers import API
from tests.factories import auth_headers, make_member


def test_posting_past_the_limit_gets_429_with_retry_after(database_url: str) -> None:
    app = create_app(
        make_settings(database_url, rate_limit_enabled=True, rate_limit_posting="3/hour")
    )
    with TestClient(app) as client:
        one, two = auth_headers(app, make_member(app)), auth_headers(app, make_member(app))
        thread = {"title": "Riso inks", "body": "Which ones?"}
        first = client.post(f"{API}/threads", json=thread, headers=one)
        assert first.status_code == 201
        posts = f"{API}/threads/{first.json()['id']}/posts"
        assert client.post(posts, json={"body": "Soy."}, headers=one).status_code == 201
        idea = {"title": "A swap", "body": "Prints."}
        assert client.post(f"{API}/ideas", json=idea, headers=one).status_code == 201
        # Threads, replies, comments, ideas and reports share the member's posting budget.
        limited = client.post(posts, json={"body": "Again."}, headers=one)
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "application/problem+json"
        assert limited.json()["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 3600
        # Reading and editing are not posting; other members post on.
        assert client.get(posts, headers=one).status_code == 200
        assert (
            client.patch(
                f"{API}/threads/{first.json()['id']}", json={"title": "Riso"}, headers=one
            ).status_code
            == 200
        )
        assert client.post(posts, json={"body": "Mine."}, headers=two).status_code == 201
    app.state.engine.dispose()
