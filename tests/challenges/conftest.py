from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from app.core import events
from app.core.events import DomainEvent

PREFIXES = ("challenge.", "submission.", "vote.", "inquiry.")


@pytest.fixture
def published() -> Iterator[list[DomainEvent]]:
    """The challenge, submission, vote and inquiry domain events published during the test."""
    seen: list[DomainEvent] = []

    def record(_session: Session, event: DomainEvent) -> None:
        if event.type.startswith(PREFIXES):
            seen.append(event)  # list.append is atomic: safe from concurrent sweeps

    events.subscribe("*")(record)
    yield seen
    events._subscribers["*"].remove(record)
