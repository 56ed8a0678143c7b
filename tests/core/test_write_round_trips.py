"""Round trips of the hot writes, per request: statements, transactions, connections.

Each count is what the request costs today on each database; a change that adds a
statement to a vote, an RSVP, a comment or a new work fails here and must say why (or
remove one elsewhere). The token is remembered before each measured request (a lookup is
app.principal's, counted in tests/principal), so what is counted is the write's own work:
statements (tests.factories.QueryCounter: no BEGIN, no token lookup), transactions begun
and connections taken from the pool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.challenges.helpers import SUBMISSIONS, create_challenge, move_to, organizer, submit
from tests.events.helpers import EVENTS, create_event, organizer_headers
from tests.factories import QueryCounter, member_with_headers

Headers = dict[str, str]


@dataclass(frozen=True)
class Cost:
    statements: int
    transactions: int = 1
    connections: int = 1
    # What was sent, shown when a count differs (not compared).
    sent: tuple[str, ...] = field(default=(), compare=False)


class RoundTrips:
    """What one request costs: its statements, transactions begun and pool checkouts."""

    def __init__(self, queries: QueryCounter) -> None:
        self.queries = queries
        self.transactions = 0
        self.connections = 0

    def began(self, *_: Any) -> None:
        self.transactions += 1

    def checked_out(self, *_: Any) -> None:
        self.connections += 1

    def of(self, client: TestClient, headers: Headers, request: Callable[[], Any]) -> Cost:
        """The cost of `request()`, made with a token the app remembers."""
        assert client.get("/api/v1/members/me", headers=headers).status_code == 200
        self.queries.reset()
        self.transactions = self.connections = 0
        response = request()
        assert response.status_code in (200, 201), response.text
        sent = tuple(" ".join(sql.split())[:100] for sql in self.queries.statements)
        return Cost(self.queries.count, self.transactions, self.connections, sent)


@pytest.fixture
def trips(engine: Engine, queries: QueryCounter) -> Iterator[RoundTrips]:
    counter = RoundTrips(queries)
    sa.event.listen(engine, "begin", counter.began)
    sa.event.listen(engine.pool, "checkout", counter.checked_out)
    yield counter
    sa.event.remove(engine, "begin", counter.began)
    sa.event.remove(engine.pool, "checkout", counter.checked_out)


def expect(cost: Cost, expected: Cost) -> None:
    assert cost == expected, "\n".join(cost.sent)


def on(engine: Engine, *, postgresql: Cost, sqlite: Cost) -> Cost:
    return postgresql if engine.dialect.name == "postgresql" else sqlite


def test_a_vote_and_its_repeat(
    client: TestClient, app: FastAPI, engine: Engine, trips: RoundTrips
) -> None:
    staff = organizer(app)
    challenge = create_challenge(client, staff)
    work = submit(client, challenge["id"], member_with_headers(app)[1])
    move_to(client, staff, challenge["id"], "voting")
    _, voter = member_with_headers(app)

    def vote() -> Any:
        return client.put(f"{SUBMISSIONS}/{work['id']}/vote", headers=voter)

    # The work and its challenge (locked), then on PostgreSQL the vote, budget and tally
    # in one statement, and the contribution with its totals in one more.
    new = on(engine, postgresql=Cost(3), sqlite=Cost(7))
    expect(trips.of(client, voter, vote), new)
    expect(trips.of(client, voter, vote), on(engine, postgresql=Cost(2), sqlite=Cost(3)))


def test_rsvps_by_many_members(
    client: TestClient, app: FastAPI, engine: Engine, trips: RoundTrips
) -> None:
    event = create_event(client, organizer_headers(app), capacity=50)
    path = f"{EVENTS}/{event['id']}/rsvp"
    for _ in range(3):
        _, member = member_with_headers(app)

        def answer(status: str, member: Headers = member) -> Callable[[], Any]:
            return lambda: client.put(path, json={"status": status}, headers=member)

        # The event locked and read with the member's RSVP, then the seat and the row's
        # new answer: one statement on PostgreSQL, two on SQLite (no UPDATE inside WITH).
        change = on(engine, postgresql=Cost(2), sqlite=Cost(3))
        expect(trips.of(client, member, answer("going")), change)
        expect(trips.of(client, member, answer("going")), Cost(1))  # nothing changes
        expect(trips.of(client, member, answer("interested")), change)  # a seat freed
        expect(trips.of(client, member, answer("going")), change)


def test_a_comment(client: TestClient, app: FastAPI, engine: Engine, trips: RoundTrips) -> None:
    staff = organizer(app)
    challenge = create_challenge(client, staff)
    work = submit(client, challenge["id"], member_with_headers(app)[1])
    _, member = member_with_headers(app)
    url = f"{SUBMISSIONS}/{work['id']}/comments"
    cost = trips.of(
        client, member, lambda: client.post(url, json={"body": "Lovely."}, headers=member)
    )
    # PostgreSQL: the work read with the comment's INSERT; the notification, its member
    # and their mail (added to the mail still waiting about this work, else a new message,
    # its event and delivery) in one statement; the contribution with the member's totals
    # and count. SQLite: the work, the comment, the notification returning its member, the
    # attempt to add to a waiting mail, then the three INSERTs of a new one, the
    # contribution (its count moved by a trigger), the member's points returning the count
    # and the period totals. The ten-comments badge costs a statement only at the tenth.
    expect(cost, on(engine, postgresql=Cost(3), sqlite=Cost(10)))


def test_a_submission(client: TestClient, app: FastAPI, engine: Engine, trips: RoundTrips) -> None:
    challenge = create_challenge(client, organizer(app))
    _, member = member_with_headers(app)
    url = f"/api/v1/challenges/{challenge['id']}/submissions"
    body = {"title": "Pasar pagi", "media_urls": ["https://img.example.com/1.jpg"]}
    cost = trips.of(client, member, lambda: client.post(url, json=body, headers=member))
    # The first-submission badge's notification comes with its member's row and mail: on
    # PostgreSQL in one statement, on SQLite its INSERT returns the member.
    expect(cost, on(engine, postgresql=Cost(13), sqlite=Cost(15)))
