from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from app.core import events
from app.core.events import DomainEvent


@pytest.fixture
def published() -> Iterator[list[DomainEvent]]:
    """Every domain event published during the test, in order."""
    seen: list[DomainEvent] = []

    def record(_session: Session, event: DomainEvent) -> None:
        seen.append(event)

    events.subscribe("*")(record)
    yield seen
    events._subscribers["*"].remove(record)
