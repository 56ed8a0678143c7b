from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import col, select

from app.core.pagination import InvalidCursor, asc, decode_cursor, desc, encode_cursor
from app.models import Member, Notification
from tests.factories import make_member, member_with_headers


@pytest.mark.parametrize("limit", ["0", "101", "-5", "ten"])
def test_limit_out_of_range_is_422(client: TestClient, app: FastAPI, limit: str) -> None:
    _, headers = member_with_headers(app)
    response = client.get("/api/v1/members", params={"limit": limit}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "limit"]


def test_walking_every_page_returns_each_row_once(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    for _ in range(44):
        make_member(app)
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": "7", **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/members", params=params, headers=headers).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 45
    assert seen == sorted(set(seen))


def test_a_forged_cursor_is_400(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    for cursor in ("garbage!", encode_cursor(["not-an-int"]), encode_cursor([1, 2]), "e30"):
        response = client.get("/api/v1/members", params={"cursor": cursor}, headers=headers)
        assert response.status_code == 400, cursor
        assert response.json()["code"] == "invalid_cursor"


def test_cursor_round_trips_mixed_types() -> None:
    keys = [desc(Notification.created_at), asc(Notification.id)]
    moment = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert decode_cursor(encode_cursor([moment, 42]), keys) == [moment, 42]
    with pytest.raises(InvalidCursor):
        decode_cursor(encode_cursor([moment.isoformat(), True]), keys)


def test_descending_keyset_with_ties(session: object, app: FastAPI) -> None:
    """Rows that share the first key are split by the second, never skipped or repeated."""
    from sqlmodel import Session

    from app.core.pagination import PageParams, paginate

    members = [make_member(app) for _ in range(5)]
    assert isinstance(session, Session)
    seen: list[int] = []
    cursor = None
    for _ in range(5):
        rows, cursor = paginate(
            session,
            select(Member).where(col(Member.id).in_([m.id for m in members])),
            keys=[desc(Member.role), desc(Member.id)],
            params=PageParams(limit=2, cursor=cursor),
        )
        seen += [row.id for row in rows]
        if cursor is None:
            break
    assert seen == sorted((m.id for m in members), reverse=True)  # type: ignore[type-var]
