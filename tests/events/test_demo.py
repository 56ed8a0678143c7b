"""`sanggar seed-demo` grows a calendar that obeys the same rules as the API."""

from __future__ import annotations

from fastapi import FastAPI
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from app.demo.community import seed_community
from app.models import Event, EventCheckIn, EventRsvp, EventStatus, RsvpStatus


def test_demo_calendar_has_past_and_upcoming_events_with_answers(
    app: FastAPI, engine: Engine, session: Session
) -> None:
    seed_community(
        engine, app.state.settings, members_count=30, seed=3, console=Console(quiet=True)
    )
    events = list(session.exec(select(Event)))
    assert {EventStatus(e.status) for e in events} == set(EventStatus)
    assert len({e.series_id for e in events if e.series_id is not None}) == 3
    assert any(e.waitlist_count > 0 for e in events)
    assert all(e.capacity is None or e.going_count <= e.capacity for e in events)
    going = session.exec(
        select(func.count()).where(col(EventRsvp.status) == RsvpStatus.GOING)
    ).one()
    assert going == sum(e.going_count for e in events)
    assert session.exec(select(func.count()).select_from(EventCheckIn)).one() > 0
