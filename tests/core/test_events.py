from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from app.core import events
from app.core.events import DomainEvent
from app.models import Member, Notification, Role


@pytest.fixture
def recorded() -> Iterator[list[DomainEvent]]:
    seen: list[DomainEvent] = []

    def record(_session: Session, event: DomainEvent) -> None:
        seen.append(event)

    events.subscribe("test.happened")(record)
    yield seen
    events._subscribers["test.happened"].remove(record)


def test_subscribers_receive_the_event_and_the_session(
    recorded: list[DomainEvent], engine: Engine
) -> None:
    with Session(engine) as session:
        published = events.publish(session, "test.happened", actor_id=7, thing_id=3)
    assert recorded == [published]
    assert published.data == {"thing_id": 3}
    assert published.actor_id == 7


def test_side_effects_roll_back_with_their_cause(engine: Engine) -> None:
    """A notification written by a subscriber exists exactly when the change that caused it."""
    from app.core.config import Settings
    from app.members import service as members

    settings = Settings(_env_file=None, password_hash_memory_kib=1024, password_hash_time_cost=1)
    with Session(engine) as session:
        members.create_member(
            session,
            settings,
            email="x@example.com",
            password="long password",
            handle="x",
            display_name="X",
            role=Role.MEMBER,
        )
        assert session.exec(select(func.count()).select_from(Notification)).one() == 1
        session.rollback()
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Member)).one() == 0
        assert session.exec(select(func.count()).select_from(Notification)).one() == 0
