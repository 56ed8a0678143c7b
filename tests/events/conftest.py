from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from app.core import events as domain_events


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """The `event.*` domain events published during the test, in order, with their data."""
    seen: list[tuple[str, dict[str, Any]]] = []
    original = domain_events.publish

    def record(
        session: Session, event_type: str, *, actor_id: int | None = None, **data: Any
    ) -> domain_events.DomainEvent:
        if event_type.startswith("event."):
            seen.append((event_type, {"actor_id": actor_id, **data}))
        return original(session, event_type, actor_id=actor_id, **data)

    monkeypatch.setattr(domain_events, "publish", record)
    return seen
