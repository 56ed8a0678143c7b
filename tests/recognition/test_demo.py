"""`sanggar seed-demo` gives the community a past that the analytics can tell a story of."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.demo.community import seed_community
from app.models import Activity, Badge, Member, MemberPoints, Role
from tests.factories import auth_headers


def _seed(app: FastAPI, engine: Engine) -> None:
    seed_community(
        engine, app.state.settings, members_count=40, seed=5, console=Console(quiet=True)
    )


def test_demo_history_is_consistent_tells_a_story_and_is_seeded_once(
    app: FastAPI, engine: Engine, client: TestClient, session: Session
) -> None:
    _seed(app, engine)
    first, last = session.execute(
        sa.select(sa.func.min(col(Activity.occurred_at)), sa.func.max(col(Activity.occurred_at)))
    ).one()
    assert last - first > timedelta(days=120)
    sums = dict(
        session.execute(
            sa.select(col(Activity.member_id), sa.func.sum(col(Activity.points))).group_by(
                col(Activity.member_id)
            )
        ).all()
    )
    all_time = {
        row.member_id: row.points
        for row in session.exec(select(MemberPoints).where(MemberPoints.period_kind == "all"))
    }
    for member in session.exec(select(Member)):
        assert member.points == sums.get(member.id, 0) == all_time.get(member.id, 0)  # type: ignore[arg-type]
        first_activity = session.exec(
            select(sa.func.min(col(Activity.occurred_at))).where(Activity.member_id == member.id)
        ).one()
        if first_activity is not None and member.role in (Role.MEMBER, Role.MENTOR):
            assert member.joined_at < first_activity

    admin = session.exec(select(Member).where(Member.handle_key == "demo_admin")).one()
    headers = auth_headers(app, admin)
    silent = client.get("/api/v1/analytics/silent-members", params={"limit": 100}, headers=headers)
    assert any(item["newcomer"] for item in silent.json()["items"])
    assert any(not item["newcomer"] for item in silent.json()["items"])
    fading = client.get("/api/v1/analytics/fading-members", headers=headers).json()["items"]
    assert fading
    today = utcnow().date()
    report = client.get(
        "/api/v1/analytics/engagement",
        params={"from": (today - timedelta(days=89)).isoformat(), "to": today.isoformat()},
        headers=headers,
    ).json()
    assert 0 < report["participation_rate"] < 1
    assert report["members_silent"] > 0
    assert sum(week["contributions"] for week in report["weekly"]) == sum(
        report["contributions_by_type"].values()
    )
    assert session.exec(select(Badge).where(Badge.kind == "award")).first() is not None

    # Seeding again changes nothing.
    count = sa.select(sa.func.count()).select_from(Activity)
    before = session.execute(count).scalar_one()
    session.rollback()
    _seed(app, engine)
    assert session.execute(count).scalar_one() == before
