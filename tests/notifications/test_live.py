"""The live notification stream, through real HTTP streaming against real servers."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.i18n import N_, Locale
from app.main import create_app
from app.models import Member, Role
from app.notifications import live as live_module
from app.notifications.service import notify
from app.principal.changes import principals_changed
from tests.conftest import make_settings
from tests.factories import auth_headers, make_member
from tests.processes import Redis, Server, redis_available, server_env, servers

STREAM = "/api/v1/notifications/stream"
TICKET = "/api/v1/notifications/stream-ticket"
TIMEOUT = httpx.Timeout(10.0)


class EventStream:
    """An open stream read by a thread; `next()` waits at most `seconds` for an event."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        event: dict[str, Any] = {}
        try:
            for line in self.response.iter_lines():
                if line == "":
                    if event:
                        self.events.put(event)
                    event = {}
                elif line.startswith(":"):
                    continue
                else:
                    name, _, value = line.partition(":")
                    event[name] = value.removeprefix(" ")
        except httpx.HTTPError:
            pass
        self.events.put(None)  # the stream ended

    def next(self, seconds: float = 10) -> dict[str, Any] | None:
        return self.events.get(timeout=seconds)

    def next_of(self, kind: str, seconds: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while True:
            event = self.next(max(deadline - time.monotonic(), 0.01))
            assert event is not None, "the stream ended"
            if event.get("event") == kind:
                return event


@contextmanager
def stream(
    base: str, *, headers: dict[str, str] | None = None, params: dict[str, str] | None = None
) -> Iterator[EventStream]:
    with (
        httpx.Client(trust_env=False, timeout=TIMEOUT) as client,
        client.stream("GET", base + STREAM, headers=headers, params=params) as response,
    ):
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventStream(response)


def _notify(engine: Engine, member: Member, title: str = "Hello") -> None:
    with Session(engine) as session:
        assert member.id is not None
        notify(session, member_id=member.id, type="test.live", title=title)
        session.commit()


def _ticket(base: str, headers: dict[str, str]) -> str:
    response = httpx.post(base + TICKET, headers=headers, trust_env=False, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return str(response.json()["ticket"])


def test_a_notification_written_after_opening_arrives_with_the_unread_count(
    live: str, app: FastAPI, engine: Engine
) -> None:
    member = make_member(app)
    with stream(live, headers=auth_headers(app, member)) as events:
        first = events.next_of("unread")
        before = json.loads(first["data"])["unread"]
        _notify(engine, member, "Your work was featured")
        notification = events.next_of("notification")
        data = json.loads(notification["data"])
        assert data["title"] == "Your work was featured"
        assert notification["id"] == str(data["id"])
        assert set(data) == {"id", "type", "title", "body", "data", "created_at", "read_at"}
        assert json.loads(events.next_of("unread")["data"]) == {"unread": before + 1}
        # Marking read (another request) changes the count: an `unread` event.
        headers = auth_headers(app, member)
        marked = httpx.post(
            live + "/api/v1/notifications/read",
            json={"all": True},
            headers=headers,
            trust_env=False,
            timeout=TIMEOUT,
        )
        assert marked.status_code == 200
        assert json.loads(events.next_of("unread")["data"]) == {"unread": 0}


def test_a_reconnect_replays_what_came_after_last_event_id(
    live: str, app: FastAPI, engine: Engine
) -> None:
    member = make_member(app)
    headers = auth_headers(app, member)
    with stream(live, headers=headers) as events:
        events.next_of("unread")
        _notify(engine, member, "one")
        seen = events.next_of("notification")["id"]
    _notify(engine, member, "two")
    _notify(engine, member, "three")
    with stream(live, headers={**headers, "Last-Event-ID": seen}) as events:
        titles = [json.loads(events.next_of("notification")["data"])["title"] for _ in range(2)]
        assert titles == ["two", "three"]
        assert json.loads(events.next_of("unread")["data"])["unread"] >= 3
    # The same with a ticket and `last_event_id` (a new EventSource cannot send the header).
    ticket = _ticket(live, headers)
    with stream(live, params={"ticket": ticket, "last_event_id": seen}) as events:
        assert json.loads(events.next_of("notification")["data"])["title"] == "two"


def test_a_ticket_opens_one_stream_once(live: str, app: FastAPI, engine: Engine) -> None:
    member = make_member(app)
    ticket = _ticket(live, auth_headers(app, member))
    with stream(live, params={"ticket": ticket}) as events:
        events.next_of("unread")
        _notify(engine, member)
        events.next_of("notification")
    again = httpx.get(live + STREAM, params={"ticket": ticket}, trust_env=False, timeout=TIMEOUT)
    assert again.status_code == 401
    assert again.json()["code"] == "invalid_stream_ticket"


def test_a_deactivated_member_s_open_stream_ends(live: str, app: FastAPI) -> None:
    """Deactivation ends every log-in and token, and the streams they opened: one reading
    on would go on hearing of the community after the member was shown out."""
    admin = auth_headers(app, make_member(app, role=Role.ADMIN))
    member = make_member(app)
    ticket = _ticket(live, auth_headers(app, member))
    with stream(live, params={"ticket": ticket}) as events:
        events.next_of("unread")
        deactivated = httpx.patch(
            f"{live}/api/v1/members/{member.id}",
            json={"is_active": False},
            headers=admin,
            trust_env=False,
            timeout=TIMEOUT,
        )
        assert deactivated.status_code == 200, deactivated.text
        # Ended by the server, well before the client's own 10-second read timeout.
        assert events.next(seconds=5) is None


@pytest.mark.parametrize(
    "ticket",
    ["", "nonsense", "1.2.3.4", "1.1.abc.", "x" * 300],
)
def test_bad_tickets_are_refused(live: str, ticket: str) -> None:
    response = httpx.get(live + STREAM, params={"ticket": ticket}, trust_env=False, timeout=TIMEOUT)
    assert response.status_code in (401, 422)


def test_expired_and_forged_tickets_are_refused(live: str, app: FastAPI) -> None:
    member = make_member(app)
    key = app.state.settings.signing_key()
    expired = f"{member.id}.{int(time.time()) - 1}.nonce"
    forged = f"{member.id}.{int(time.time()) + 60}.nonce"
    for ticket in (
        f"{expired}.{live_module._sign(key, expired)}",
        f"{forged}.{live_module._sign('k', forged)}",
    ):
        response = httpx.get(
            live + STREAM, params={"ticket": ticket}, trust_env=False, timeout=TIMEOUT
        )
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_stream_ticket"
    assert httpx.get(live + STREAM, trust_env=False, timeout=TIMEOUT).status_code == 401


def _no_streams_left(app: FastAPI, member: Member) -> None:
    """Member ids start again at 1 after each test on PostgreSQL (RESTART IDENTITY): a stream
    of an earlier test's member with this id may still be on its way out."""
    deadline = time.monotonic() + 10
    while app.state.live_hub._open.get(member.id, 0):
        assert time.monotonic() < deadline, "an earlier test's stream never ended"
        time.sleep(0.05)


def test_the_sixth_stream_of_a_member_is_refused(live: str, app: FastAPI) -> None:
    member = make_member(app)
    headers = auth_headers(app, member)
    _no_streams_left(app, member)
    with httpx.Client(trust_env=False, timeout=TIMEOUT) as client:
        opened = [client.stream("GET", live + STREAM, headers=headers) for _ in range(5)]
        responses = [one.__enter__() for one in opened]
        try:
            assert [r.status_code for r in responses] == [200] * 5
            sixth = client.get(live + STREAM, headers=headers)
            assert sixth.status_code == 429
            assert sixth.json()["code"] == "too_many_streams"
            assert int(sixth.headers["Retry-After"]) > 0
        finally:
            for one in opened:
                one.__exit__(None, None, None)
        # Closed streams give their places back (soon: the server notices the disconnect).
        deadline = time.monotonic() + 10
        while True:
            with client.stream("GET", live + STREAM, headers=headers) as again:
                if again.status_code == 200:
                    break
            assert time.monotonic() < deadline, "closed streams kept their places"
            time.sleep(0.1)


@pytest.fixture
def one_place_server(database_url: str, engine: Engine) -> Iterator[tuple[str, FastAPI]]:
    app = create_app(make_settings(database_url, max_concurrent_requests=1))
    with _serve(app) as url:
        yield url, app
    app.state.engine.dispose()


@contextmanager
def _serve(app: FastAPI) -> Iterator[str]:
    from tests.conftest import _free_port

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_an_open_stream_holds_no_admission_place(
    one_place_server: tuple[str, FastAPI], app: FastAPI
) -> None:
    url, _app = one_place_server
    member = make_member(app)
    headers = auth_headers(app, member)
    with stream(url, headers=headers) as events, stream(url, headers=headers) as other:
        events.next_of("unread")
        other.next_of("unread")
        # One place, two streams open: a plain request is still served at once.
        answer = httpx.get(
            url + "/api/v1/notifications/unread-count",
            headers=headers,
            trust_env=False,
            timeout=httpx.Timeout(5.0),
        )
        assert answer.status_code == 200


# --- real processes ------------------------------------------------------------------------


def _register(server: Server, handle: str) -> dict[str, str]:
    account = {
        "email": f"{handle}@example.com",
        "password": "correct horse battery",
        "handle": handle,
        "display_name": handle.title(),
    }
    created = httpx.post(server.url + "/api/v1/auth/register", json=account, trust_env=False)
    assert created.status_code == 201, created.text
    form = {"username": handle, "password": account["password"]}
    token = httpx.post(server.url + "/api/v1/auth/token", data=form, trust_env=False)
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@pytest.mark.skipif(not redis_available(), reason="redis-server is not installed")
def test_a_notification_committed_in_another_process_reaches_the_stream(
    database_url: str, engine: Engine, app: FastAPI, tmp_path: Path
) -> None:
    organizer = make_member(app, role=Role.ORGANIZER)
    headers = auth_headers(app, organizer)
    redis = Redis()
    redis.start()
    try:
        env = server_env(database_url, redis_url=redis.url)
        with servers(env, tmp_path, count=2) as (a, b):
            ticket = _ticket(b.url, headers)
            with stream(b.url, params={"ticket": ticket}) as events:
                events.next_of("unread")
                # Someone registers through process A: organizers are told (after A commits).
                _register(a, "newcomer")
                joined = json.loads(events.next_of("notification")["data"])
                assert joined["type"] == "member.joined"
                # A spent ticket is spent for every process (Redis SET NX).
            refused = httpx.get(b.url + STREAM, params={"ticket": ticket}, trust_env=False)
            assert refused.status_code == 401
            refused = httpx.get(a.url + STREAM, params={"ticket": ticket}, trust_env=False)
            assert refused.status_code == 401
            # Five streams over both processes are the member's all (a Redis sorted set).
            headers = auth_headers(app, make_member(app))
            with httpx.Client(trust_env=False, timeout=TIMEOUT) as client:
                urls = [a.url, b.url, a.url, b.url, a.url]
                opened = [client.stream("GET", url + STREAM, headers=headers) for url in urls]
                responses = [one.__enter__() for one in opened]
                try:
                    assert [r.status_code for r in responses] == [200] * 5
                    for server in (a, b):
                        sixth = client.get(server.url + STREAM, headers=headers)
                        assert sixth.status_code == 429
                        assert sixth.json()["code"] == "too_many_streams"
                finally:
                    for one in opened:
                        one.__exit__(None, None, None)
    finally:
        redis.stop()


def test_shutting_down_ends_open_streams(database_url: str, tmp_path: Path, app: FastAPI) -> None:
    member = make_member(app)
    env = server_env(database_url)
    with servers(env, tmp_path, count=1) as (server,):
        with stream(server.url, headers=auth_headers(app, member)) as events:
            events.next_of("unread")
            started = time.monotonic()
            server.process.terminate()
            # The stream ends (the client reconnects elsewhere) and the process exits: an open
            # stream does not hold uvicorn's graceful shutdown up.
            while (event := events.next(seconds=8)) is not None:
                assert event.get("event") in ("unread", "notification")
            # uvicorn re-raises the SIGTERM it handled once it has shut down cleanly.
            assert server.process.wait(timeout=8) in (0, -15)
            assert time.monotonic() - started < 8
        assert "Application shutdown complete" in server.log()


def test_an_announcement_reaches_open_streams(live: str, app: FastAPI) -> None:
    """Announcements reach feeds on read: a stream open when one is published reads it (its
    member's feed catches up) and sends it like any notification."""
    member = make_member(app)
    staff = auth_headers(app, make_member(app, role=Role.ORGANIZER))
    with stream(live, headers=auth_headers(app, member)) as events:
        events.next_of("unread")
        published = httpx.post(
            live + "/api/v1/announcements",
            json={"title": "Exhibition on 20 December", "body": "At Galeri Kota."},
            headers=staff,
            trust_env=False,
            timeout=TIMEOUT,
        )
        assert published.status_code == 201, published.text
        data = json.loads(events.next_of("notification")["data"])
        assert (data["type"], data["title"]) == (
            "announcement.published",
            "Exhibition on 20 December",
        )


def test_many_streams_opening_at_once_do_not_stall(
    one_place_server: tuple[str, FastAPI], app: FastAPI
) -> None:
    """The stream path is outside the admission limit: streams opening at once must not hold
    database connections while they wait for a worker thread: 40 at once, more than the
    pool's 26 connections, with 5 worker threads (bench/LIVE.md tells of the stall, seen with
    200 streams when the slot was taken in a thread while the look-up's connection was held).
    """
    url, _app = one_place_server
    headers = [auth_headers(app, make_member(app)) for _ in range(8)]

    async def open_all() -> list[int]:
        limits = httpx.Limits(max_connections=None)
        async with httpx.AsyncClient(trust_env=False, timeout=TIMEOUT, limits=limits) as client:

            async def one(h: dict[str, str]) -> int:
                async with client.stream("GET", url + STREAM, headers=h) as response:
                    async for line in response.aiter_lines():
                        if line.startswith("event: unread"):
                            break
                    return response.status_code

            return await asyncio.gather(*[one(h) for h in headers for _ in range(5)])

    assert asyncio.run(open_all()) == [200] * 40


def test_the_stream_speaks_the_members_language_else_the_requests(
    live: str, app: FastAPI, engine: Engine
) -> None:
    member = make_member(app, display_name="Rina")

    def welcome() -> None:
        with Session(engine) as session:
            assert member.id is not None
            notify(
                session,
                member_id=member.id,
                type="member.welcome",
                title=N_("Welcome to Sanggar, {name}!"),
                values={"name": "Rina"},
            )
            session.commit()

    headers = auth_headers(app, member)
    with stream(live, headers={**headers, "Accept-Language": "id"}) as events:
        events.next_of("unread")
        welcome()
        shown = json.loads(events.next_of("notification")["data"])
        assert shown["title"] == "Selamat datang di Sanggar, Rina!"
    with Session(engine) as session:
        stored = session.get(Member, member.id)
        assert stored is not None and stored.id is not None
        stored.locale = Locale.EN  # the member's own choice wins over the request's
        session.add(stored)
        principals_changed(session, member_ids=[stored.id])
        session.commit()
    with stream(live, headers={**headers, "Accept-Language": "id"}) as events:
        events.next_of("unread")
        welcome()
        shown = json.loads(events.next_of("notification")["data"])
        assert shown["title"] == "Welcome to Sanggar, Rina!"
