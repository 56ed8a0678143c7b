from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import col

from app.core.clock import utcnow
from app.models import Announcement, Member, Role
from app.principal.changes import principals_changed
from tests.factories import QueryCounter, auth_headers, make_member, member_with_headers


def test_newcomer_is_welcomed_and_organizers_are_told(client: TestClient, app: FastAPI) -> None:
    _organizer, organizer_headers = member_with_headers(app, role=Role.ORGANIZER)
    _, member_headers = member_with_headers(app, role=Role.MEMBER)
    newcomer = make_member(app, display_name="Rina Wijaya")

    welcome = client.get("/api/v1/notifications", headers=auth_headers(app, newcomer)).json()[
        "items"
    ]
    assert [n["type"] for n in welcome] == ["member.welcome"]
    assert "first steps" in welcome[0]["body"]

    told = client.get("/api/v1/notifications", headers=organizer_headers).json()["items"]
    assert {"type": "member.joined", "member_id": newcomer.id} in [
        {"type": n["type"], "member_id": n["data"].get("member_id")} for n in told
    ]
    plain = client.get("/api/v1/notifications", headers=member_headers).json()["items"]
    assert all(n["type"] != "member.joined" or n["data"]["member_id"] != newcomer.id for n in plain)


def test_unread_count_and_marking_read(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app, role=Role.ORGANIZER)
    for _ in range(3):
        make_member(app)
    assert client.get("/api/v1/notifications/unread-count", headers=headers).json() == {"unread": 4}
    items = client.get("/api/v1/notifications", headers=headers).json()["items"]
    assert [n["id"] for n in items] == sorted((n["id"] for n in items), reverse=True)

    result = client.post(
        "/api/v1/notifications/read", json={"ids": [items[0]["id"]]}, headers=headers
    )
    assert result.json() == {"marked": 1, "unread": 3}
    unread = client.get(
        "/api/v1/notifications", params={"unread_only": "true"}, headers=headers
    ).json()
    assert items[0]["id"] not in [n["id"] for n in unread["items"]]

    assert client.post(
        "/api/v1/notifications/read", json={"all": True}, headers=headers
    ).json() == {"marked": 3, "unread": 0}


def test_marking_needs_ids_or_all(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    bodies: list[dict[str, object]] = [{}, {"all": False}, {"ids": []}, {"ids": [1], "all": True}]
    for body in bodies:
        assert (
            client.post("/api/v1/notifications/read", json=body, headers=headers).status_code == 422
        ), body


def test_nobody_marks_someone_elses_notifications(client: TestClient, app: FastAPI) -> None:
    _owner, owner_headers = member_with_headers(app)
    _, other_headers = member_with_headers(app)
    own_id = client.get("/api/v1/notifications", headers=owner_headers).json()["items"][0]["id"]
    assert (
        client.post(
            "/api/v1/notifications/read", json={"ids": [own_id]}, headers=other_headers
        ).json()["marked"]
        == 0
    )
    assert (
        client.get("/api/v1/notifications/unread-count", headers=owner_headers).json()["unread"]
        == 1
    )


def test_long_titles_are_clipped_to_fit(client: TestClient, app: FastAPI) -> None:
    """A title quoting a long display name must not overflow its column (a 500 on PostgreSQL)."""
    _, headers = member_with_headers(app, role=Role.ORGANIZER)
    make_member(app, display_name="R" * 80, handle="long_name")
    from sqlmodel import Session

    from app.notifications.service import notify

    with Session(app.state.engine) as session:
        notify(session, member_id=1, type="test.long", title="x" * 500, body="y" * 5000)
        session.commit()
    items = client.get("/api/v1/notifications", headers=headers).json()["items"]
    long_one = next(n for n in items if n["type"] == "test.long")
    assert len(long_one["title"]) == 200 and long_one["title"].endswith("…")
    assert len(long_one["body"]) == 2000


def test_feed_query_count_stays_flat_as_pages_grow(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    from sqlmodel import Session

    from app.notifications.service import notify

    member, headers = member_with_headers(app)
    assert member.id is not None
    with Session(app.state.engine) as session:
        for n in range(30):
            notify(session, member_id=member.id, type="test.flat", title=f"Note {n}")
        session.commit()
    client.get("/api/v1/notifications", headers=headers)  # catches up on announcements once
    counts = {}
    for limit in (2, 30):
        queries.reset()
        response = client.get("/api/v1/notifications", params={"limit": limit}, headers=headers)
        assert len(response.json()["items"]) == limit
        counts[limit] = queries.count
    # Whether an announcement is missing from the feed, and the page.
    assert counts[2] == counts[30] == 2, counts


def _walk_feed(client: TestClient, headers: dict[str, str], limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/notifications", params=params, headers=headers).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_an_announcement_carries_its_own_time_and_sorts_by_it(
    client: TestClient, app: FastAPI
) -> None:
    """Announced an hour ago, first seen now: it sorts below what happened in between."""
    from sqlmodel import Session

    from app.notifications.service import notify

    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    member, headers = member_with_headers(app)
    assert member.id is not None
    announced = client.post(
        "/api/v1/announcements", json={"title": "Old news", "body": "."}, headers=staff
    ).json()
    an_hour_ago = utcnow() - timedelta(hours=1)
    with Session(app.state.engine) as session:
        session.execute(
            sa.update(Announcement)
            .where(col(Announcement.id) == announced["id"])
            .values(created_at=an_hour_ago)
        )
        session.execute(
            sa.update(Member)
            .where(col(Member.id) == member.id)
            .values(joined_at=an_hour_ago - timedelta(hours=1))
        )
        principals_changed(session, member_ids=[member.id])
        for n in range(3):
            notify(session, member_id=member.id, type="test.later", title=f"Later {n}")
        session.commit()

    feed = _walk_feed(client, headers, limit=100)  # the first look copies the announcement
    titles = [n["title"] for n in feed]
    assert titles.index("Old news") > max(titles.index(f"Later {n}") for n in range(3)), titles
    copied = next(n for n in feed if n["type"] == "announcement.published")
    assert abs(datetime.fromisoformat(copied["created_at"]) - an_hour_ago) < timedelta(seconds=1)
    # Walking the feed a page at a time gives the same order, each notification once.
    stamps = [datetime.fromisoformat(n["created_at"]) for n in feed]
    assert stamps == sorted(stamps, reverse=True)
    assert [n["id"] for n in _walk_feed(client, headers, limit=1)] == [n["id"] for n in feed]
    assert [n["id"] for n in _walk_feed(client, headers, limit=2)] == [n["id"] for n in feed]
