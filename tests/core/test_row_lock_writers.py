"""More writers on one row than request slots, served by fewer worker threads than requests
in flight: every one is answered, none with a 5xx, and the row's rules hold.

A write that locks a row (an RSVP locks its event, a vote its work) holds the lock until
its commit. Requests queued for that lock each hold a worker thread while they wait. Were
the lock holder to need one more thread before its commit (the old hop for FastAPI's
response validation, or one for the commit itself), it would wait for a thread that only
the waiters could free, until the lock timeout answered them 503. `UnitOfWorkRoute` runs
handler and commit in one hop and validates the response afterwards; this server, with
threads fewer than the requests it admits, would stall were that not so. On SQLite write
requests are let in one at a time (SerializedWritesMiddleware), so there it shows only that
the answers are right; the lock hazard is PostgreSQL's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2 as httpx
import pytest
import uvicorn
from anyio import to_thread
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from tests.challenges.helpers import SUBMISSIONS, create_challenge, entrants, move_to, organizer
from tests.events.helpers import EVENTS, create_event, organizer_headers
from tests.factories import member_with_headers

WRITERS = 24
THREADS = 3  # fewer than the requests admitted at once (`max_concurrent_requests`)
Headers = dict[str, str]


@pytest.fixture(scope="module")
def starved_server(app: FastAPI) -> Iterator[str]:
    """The app served by a real uvicorn whose event loop has only `THREADS` worker threads."""
    settings = app.state.settings
    assert settings.max_concurrent_requests > THREADS

    async def with_few_threads(scope: Scope, receive: Receive, send: Send) -> None:
        to_thread.current_default_thread_limiter().total_tokens = THREADS
        await app(scope, receive, send)

    with _Serving(with_few_threads) as url:
        yield url


@pytest.fixture
def starved(starved_server: str, engine: Any) -> str:
    """The server's URL; requesting `engine` empties the tables after the test."""
    return starved_server


class _Serving:
    """uvicorn in a thread of this process, on a free port, for truly concurrent requests."""

    def __init__(self, asgi: Any) -> None:
        config = uvicorn.Config(asgi, host="127.0.0.1", port=0, log_config=None, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started, "the server did not start"
        (listener,) = self.server.servers[0].sockets
        port = listener.getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


def _all_at_once(url: str, method: str, path: str, writers: list[Headers], **kw: Any) -> list[Any]:
    """Every writer's request at the same time; the answers in the writers' order."""
    start = threading.Barrier(len(writers))

    def send(headers: Headers) -> httpx.Response:
        with httpx.Client(base_url=url, timeout=60) as http:
            start.wait()
            return http.request(method, path, headers=headers, **kw)

    with ThreadPoolExecutor(max_workers=len(writers)) as pool:
        return list(pool.map(send, writers))


def test_rsvps_to_one_full_event_all_answered_and_the_capacity_kept(
    starved: str, client: TestClient, app: FastAPI
) -> None:
    event = create_event(client, organizer_headers(app), capacity=5)
    writers = [member_with_headers(app)[1] for _ in range(WRITERS)]
    answers = _all_at_once(
        starved, "PUT", f"{EVENTS}/{event['id']}/rsvp", writers, json={"status": "going"}
    )
    assert [a.status_code for a in answers] == [200] * WRITERS, [a.text for a in answers]
    statuses = [a.json()["status"] for a in answers]
    assert (statuses.count("going"), statuses.count("waitlisted")) == (5, WRITERS - 5)
    positions = sorted(
        a.json()["waitlist_position"] for a in answers if a.json()["status"] == "waitlisted"
    )
    assert positions == list(range(1, WRITERS - 5 + 1))
    counts = client.get(f"{EVENTS}/{event['id']}").json()
    assert (counts["going_count"], counts["waitlist_count"]) == (5, WRITERS - 5)


def test_votes_on_one_work_all_answered_and_each_counted_once(
    starved: str, client: TestClient, app: FastAPI
) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers, votes_per_member=1)
    ((work, _),) = entrants(app, client, challenge["id"], 1)
    move_to(client, headers, challenge["id"], "voting")
    voters = [member_with_headers(app)[1] for _ in range(WRITERS - 4)]
    writers = voters + voters[:4]  # four vote twice at once: a repeat changes nothing
    answers = _all_at_once(starved, "PUT", f"{SUBMISSIONS}/{work['id']}/vote", writers)
    assert [a.status_code for a in answers] == [200] * WRITERS, [a.text for a in answers]
    assert {a.json()["remaining"] for a in answers} == {0}  # a budget of one, spent once
    tally = client.get(f"{SUBMISSIONS}/{work['id']}", headers=headers).json()["vote_count"]
    assert tally == len(voters)
