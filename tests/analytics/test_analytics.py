"""Analytics equal hand-computed values on a known community; only organizers read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col

from app.core.clock import utcnow
from app.models import ContributionKind, Event, EventCheckIn, EventRsvp, Member, Role
from app.principal.changes import PRINCIPALS_UNCHANGED
from tests.factories import QueryCounter, auth_headers, make_member
from tests.recognition.helpers import record

ENGAGEMENT = "/api/v1/analytics/engagement"
SILENT = "/api/v1/analytics/silent-members"
FADING = "/api/v1/analytics/fading-members"
Kind = ContributionKind


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _member(app: FastAPI, joined: datetime, **kwargs: Any) -> Member:
    member = make_member(app, **kwargs)
    with Session(app.state.engine) as session:
        # Back-dating a join changes nobody's access: no principal to forget.
        session.execute(
            sa.update(Member)
            .where(col(Member.id) == member.id)
            .values(joined_at=joined)
            .execution_options(**{PRINCIPALS_UNCHANGED: True})
        )
        session.commit()
    member.joined_at = joined
    return member


def _event(
    app: FastAPI, starts: str, status: str, going: list[Member], present: list[Member]
) -> None:
    with Session(app.state.engine) as session:
        event = Event(
            title="Sketch walk",
            kind="workshop",
            status=status,
            starts_at=at(starts),
            ends_at=at(starts) + timedelta(hours=2),
            timezone="Asia/Jakarta",
        )
        session.add(event)
        session.flush()
        assert event.id is not None
        for member in going:
            assert member.id is not None
            session.add(EventRsvp(event_id=event.id, member_id=member.id, status="going"))
        for member in present:
            assert member.id is not None
            session.add(EventCheckIn(event_id=event.id, member_id=member.id))
        session.commit()


@pytest.fixture
def organizer(app: FastAPI) -> dict[str, str]:
    return auth_headers(app, make_member(app, role=Role.ORGANIZER))


def test_engagement_equals_the_hand_computed_numbers(
    app: FastAPI, client: TestClient, organizer: dict[str, str]
) -> None:
    a = _member(app, at("2026-09-01 08:00"))
    b = _member(app, at("2026-10-10 08:00"))  # new in the range
    c = _member(app, at("2026-09-15 08:00"))
    _member(app, at("2026-10-20 23:00"))  # d: new on the last day, silent
    e = _member(app, at("2026-10-21 00:00"))  # joined after the range: not counted
    f = _member(app, at("2026-09-01 08:00"), is_active=False)  # deactivated: not counted
    staff = _member(app, at("2026-09-01 08:00"), role=Role.ORGANIZER)  # staff: not counted
    record(app, a, Kind.SUBMISSION, at("2026-10-07 10:00"))
    record(app, a, Kind.VOTE, at("2026-10-08 10:00"))
    record(app, a, Kind.COMMENT, at("2026-10-13 10:00"))
    record(app, b, Kind.EVENT_ATTENDED, at("2026-10-19 09:00"))
    record(app, b, Kind.SUBMISSION, at("2026-10-21 00:00"))  # the day after `to`
    record(app, c, Kind.IDEA, at("2026-10-06 23:59"))  # the day before `from`
    for outsider in (e, f, staff):
        record(app, outsider, Kind.VOTE, at("2026-10-08 12:00"))
    _event(app, "2026-10-10 10:00", "published", going=[a, b, c], present=[a, b])
    _event(app, "2026-10-12 10:00", "cancelled", going=[a], present=[])
    _event(app, "2026-10-25 10:00", "published", going=[a], present=[])

    response = client.get(
        ENGAGEMENT, params={"from": "2026-10-07", "to": "2026-10-20"}, headers=organizer
    )
    assert response.status_code == 200, response.text
    by_type = {kind.value: 0 for kind in ContributionKind}
    by_type.update(submission=1, vote=1, comment=1, event_attended=1)
    assert response.json() == {
        "from": "2026-10-07",
        "to": "2026-10-20",
        "members_total": 4,
        "members_new": 2,
        "members_active": 2,
        "participation_rate": 0.5,
        "members_silent": 2,
        "contributions_by_type": by_type,
        "weekly": [
            {"week_start": "2026-10-05", "contributions": 2, "active_members": 1},
            {"week_start": "2026-10-12", "contributions": 1, "active_members": 1},
            {"week_start": "2026-10-19", "contributions": 1, "active_members": 1},
        ],
        "challenge_participation_rate": 0.5,
        "event_attendance_rate": pytest.approx(2 / 3),
    }


def test_an_empty_range_has_zero_rates(
    app: FastAPI, client: TestClient, organizer: dict[str, str]
) -> None:
    body = client.get(
        ENGAGEMENT, params={"from": "2020-01-01", "to": "2020-01-01"}, headers=organizer
    ).json()
    assert body["members_total"] == 0
    assert (body["participation_rate"], body["challenge_participation_rate"]) == (0.0, 0.0)
    assert body["event_attendance_rate"] == 0.0
    assert body["weekly"] == [{"week_start": "2019-12-30", "contributions": 0, "active_members": 0}]


@pytest.mark.parametrize(
    ("start", "end", "status"),
    [
        ("2026-10-02", "2026-10-01", 422),
        ("2025-01-01", "2026-01-02", 422),  # 367 days
        ("2025-01-01", "2026-01-01", 200),  # 366 days
        ("2026-13-01", "2026-10-01", 422),
    ],
)
def test_ranges_are_validated(
    client: TestClient, organizer: dict[str, str], start: str, end: str, status: int
) -> None:
    response = client.get(ENGAGEMENT, params={"from": start, "to": end}, headers=organizer)
    assert response.status_code == status, response.text


@pytest.mark.parametrize("path", [ENGAGEMENT + "?from=2026-10-01&to=2026-10-31", SILENT, FADING])
def test_members_cannot_read_analytics(app: FastAPI, client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 401
    assert client.get(path, headers=auth_headers(app, make_member(app))).status_code == 403
    mentor = auth_headers(app, make_member(app, role=Role.MENTOR))
    assert client.get(path, headers=mentor).status_code == 403


def _ids(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> list[Any]:
    items: list[Any] = client.get(path, params=params, headers=headers).json()["items"]
    return items


def test_silent_members_are_those_without_a_recent_contribution(
    app: FastAPI, client: TestClient, organizer: dict[str, str]
) -> None:
    now = utcnow()
    long_ago = now - timedelta(days=100)
    active = _member(app, long_ago)
    old_contributor = _member(app, long_ago)
    old_never = _member(app, long_ago)
    newcomer = _member(app, now - timedelta(days=3))
    record(app, active, Kind.VOTE, now - timedelta(days=2))
    record(app, old_contributor, Kind.SUBMISSION, now - timedelta(days=45))

    items = _ids(client, SILENT, organizer)
    assert [(i["member"]["id"], i["newcomer"]) for i in items] == [
        (newcomer.id, True),
        (old_never.id, False),
        (old_contributor.id, False),
    ]
    assert items[1]["last_contribution_at"] is None
    assert items[2]["last_contribution_at"] is not None
    assert active.id not in {i["member"]["id"] for i in _ids(client, SILENT, organizer, days=3)}
    wider = _ids(client, SILENT, organizer, days=60)
    assert [i["member"]["id"] for i in wider] == [newcomer.id, old_never.id]

    first = client.get(SILENT, params={"limit": 2}, headers=organizer).json()
    rest = client.get(
        SILENT, params={"limit": 2, "cursor": first["next_cursor"]}, headers=organizer
    )
    assert [i["member"]["id"] for i in first["items"] + rest.json()["items"]] == [
        newcomer.id,
        old_never.id,
        old_contributor.id,
    ]
    assert client.get(SILENT, params={"days": 0}, headers=organizer).status_code == 422
    assert client.get(SILENT, params={"days": 366}, headers=organizer).status_code == 422


def test_a_member_who_contributed_is_never_silent(
    app: FastAPI, client: TestClient, organizer: dict[str, str]
) -> None:
    now = utcnow()
    members = [_member(app, now - timedelta(days=200)) for _ in range(6)]
    for n, member in enumerate(members):
        record(app, member, Kind.COMMENT, now - timedelta(days=n * 10, minutes=1))
    for days in (1, 5, 15, 30, 45, 365):
        silent = {i["member"]["id"] for i in _ids(client, SILENT, organizer, days=days, limit=100)}
        for n, member in enumerate(members):
            assert (member.id in silent) is (n * 10 >= days), (days, n)


def test_fading_members_fell_below_half_their_usual_rate(
    app: FastAPI, client: TestClient, organizer: dict[str, str]
) -> None:
    now = utcnow()
    joined = now - timedelta(days=300)
    steady, fading, gone, new, ancient = (_member(app, joined) for _ in range(5))

    def earn(member: Member, recent: int, prior: int) -> None:
        for n in range(recent):
            record(app, member, Kind.VOTE, now - timedelta(days=1 + n))
        for n in range(prior):
            record(app, member, Kind.VOTE, now - timedelta(days=31 + n * 7))

    earn(steady, recent=1, prior=6)  # 1 is exactly half of 6/3: not below
    earn(fading, recent=1, prior=12)
    earn(gone, recent=0, prior=3)
    earn(new, recent=2, prior=0)
    record(app, ancient, Kind.VOTE, now - timedelta(days=130))

    items = _ids(client, FADING, organizer)
    assert [(i["member"]["id"], i["recent"], i["baseline"]) for i in items] == [
        (fading.id, 1, 4.0),
        (gone.id, 0, 1.0),
    ]
    assert all(i["last_contribution_at"] is not None for i in items)
    first = client.get(FADING, params={"limit": 1}, headers=organizer).json()
    assert [i["member"]["id"] for i in first["items"]] == [fading.id]
    rest = client.get(
        FADING, params={"limit": 1, "cursor": first["next_cursor"]}, headers=organizer
    )
    assert [i["member"]["id"] for i in rest.json()["items"]] == [gone.id]


@pytest.mark.parametrize("path", [SILENT, FADING])
def test_outreach_queries_do_not_grow_with_the_page(
    app: FastAPI,
    client: TestClient,
    organizer: dict[str, str],
    queries: QueryCounter,
    path: str,
) -> None:
    now = utcnow()
    for _ in range(4):
        member = _member(app, now - timedelta(days=200))
        for n in range(6):
            record(app, member, Kind.POST, now - timedelta(days=40 + n))

    def count(limit: int) -> int:
        queries.reset()
        response = client.get(path, params={"limit": limit}, headers=organizer)
        assert len(response.json()["items"]) == limit
        return queries.count

    assert count(1) == count(4)
