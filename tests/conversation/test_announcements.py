"""Announcements: organizers post once; every member's feed receives it on read."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2 as httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.core.domain_events import AnnouncementPublished, DomainEvent
from app.models import Notification, Role
from tests.conversation.helpers import API, created, ids, notifications
from tests.factories import QueryCounter, data_of, member_with_headers


def announce(client: TestClient, staff: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body = {"title": "Exhibition on 20 December", "body": "At Galeri Kota.", **overrides}
    return created(client.post(f"{API}/announcements", json=body, headers=staff))


def _announcement_rows(session: Session) -> int:
    session.rollback()  # a fresh snapshot (a SQLite read transaction keeps its first one)
    statement = select(func.count()).where(col(Notification.announcement_id).is_not(None))
    return session.exec(statement).one()


def test_organizers_announce_members_read(
    client: TestClient, app: FastAPI, published: list[DomainEvent]
) -> None:
    organizer, staff = member_with_headers(app, role=Role.ORGANIZER)
    _, member = member_with_headers(app)
    refused = client.post(f"{API}/announcements", json={"title": "x", "body": "y"}, headers=member)
    assert refused.status_code == 403
    first = announce(client, staff, title="First")
    pinned = announce(client, staff, title="Pinned", pinned=True)
    latest = announce(client, staff, title="Latest")
    assert ids(client.get(f"{API}/announcements", headers=member)) == [
        pinned["id"],
        latest["id"],
        first["id"],
    ]
    assert client.get(f"{API}/announcements/{first['id']}", headers=member).json() == first
    assert client.get(f"{API}/announcements").status_code == 401
    events = [(e.actor_id, data_of(e)) for e in published if isinstance(e, AnnouncementPublished)]
    assert events[1] == (
        organizer.id,
        {"announcement_id": pinned["id"], "title": "Pinned", "pinned": True},
    )


def test_every_member_is_notified_without_a_write_per_member(
    client: TestClient, app: FastAPI, session: Session
) -> None:
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    readers = [member_with_headers(app)[1] for _ in range(3)]
    announcement = announce(client, staff)
    assert _announcement_rows(session) == 0  # nothing per member at posting time
    for headers in readers:
        assert (
            client.get(f"{API}/notifications/unread-count", headers=headers).json()["unread"] >= 1
        )
    feed = [n for n in notifications(client, readers[0]) if n["type"] == "announcement.published"]
    assert [(n["title"], n["data"]) for n in feed] == [
        ("Exhibition on 20 December", {"announcement_id": announcement["id"]})
    ]
    # Read again: still one.
    again = [n for n in notifications(client, readers[0]) if n["type"] == "announcement.published"]
    assert len(again) == 1
    assert _announcement_rows(session) == 3  # only the members who read their feed


def test_newcomers_get_only_announcements_after_they_joined(
    client: TestClient, app: FastAPI
) -> None:
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    announce(client, staff, title="Before")
    _, newcomer = member_with_headers(app)
    assert "announcement.published" not in [n["type"] for n in notifications(client, newcomer)]
    announce(client, staff, title="After")
    titles = [
        n["title"] for n in notifications(client, newcomer) if n["type"] == "announcement.published"
    ]
    assert titles == ["After"]


def test_marking_all_read_includes_unseen_announcements(client: TestClient, app: FastAPI) -> None:
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    _, member = member_with_headers(app)
    announce(client, staff)
    marked = client.post(f"{API}/notifications/read", json={"all": True}, headers=member)
    assert marked.status_code == 200, marked.text
    assert marked.json()["unread"] == 0
    assert marked.json()["marked"] == 2  # the welcome and the announcement


def test_a_caught_up_feed_is_read_without_writing(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    _, member = member_with_headers(app)
    announce(client, staff)
    client.get(f"{API}/notifications/unread-count", headers=member)
    queries.reset()
    client.get(f"{API}/notifications/unread-count", headers=member)
    client.get(f"{API}/notifications", headers=member)
    writes = [s for s in queries.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert writes == []


def test_editing_and_deleting_announcements(
    client: TestClient, app: FastAPI, session: Session
) -> None:
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    _, member = member_with_headers(app)
    announcement = announce(client, staff)
    url = f"{API}/announcements/{announcement['id']}"
    assert client.patch(url, json={"pinned": True}, headers=member).status_code == 403
    assert client.patch(url, json={"pinned": True}, headers=staff).json()["pinned"] is True
    notifications(client, member)
    assert client.delete(url, headers=member).status_code == 403
    assert client.delete(url, headers=staff).status_code == 204
    assert client.get(url, headers=member).status_code == 404
    assert "announcement.published" not in [n["type"] for n in notifications(client, member)]
    assert _announcement_rows(session) == 0


def test_concurrent_reads_copy_an_announcement_once(
    live: str, client: TestClient, app: FastAPI, session: Session
) -> None:
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    _, member = member_with_headers(app)
    announce(client, staff)
    announce(client, staff)

    def read(path: str) -> int:
        with httpx.Client(base_url=live, timeout=60) as http:
            return http.get(f"{API}/notifications{path}", headers=member).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(read, ["", "/unread-count"] * 10))
    assert statuses == [200] * 20
    assert _announcement_rows(session) == 2
    assert client.get(f"{API}/notifications/unread-count", headers=member).json()["unread"] == 3
