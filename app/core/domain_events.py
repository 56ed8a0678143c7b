"""Domain events: a feature says what happened; subscribers react in the same transaction.

`publish()` runs every subscriber synchronously on the caller's session, so a notification,
a point or a webhook delivery is written atomically with the change that caused it: either
both are committed or neither is. Subscribers must only write to the database; anything
slow or external (sending a webhook) is done later from what they recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.core.clock import utcnow


@dataclass(frozen=True)
class DomainEvent:
    type: str
    data: Mapping[str, Any]
    actor_id: int | None = None
    occurred_at: datetime = field(default_factory=utcnow)


Subscriber = Callable[[Session, DomainEvent], None]

_subscribers: dict[str, list[Subscriber]] = defaultdict(list)


def subscribe(*event_types: str) -> Callable[[Subscriber], Subscriber]:
    """Register the decorated function for these event types ("*" for all)."""

    def register(subscriber: Subscriber) -> Subscriber:
        for event_type in event_types:
            if subscriber not in _subscribers[event_type]:
                _subscribers[event_type].append(subscriber)
        return subscriber

    return register


def subscribers_of(event_type: str) -> list[Subscriber]:
    """Everything that hears this event type, in the order it runs."""
    return [*_subscribers.get(event_type, ()), *_subscribers.get("*", ())]


def publish(
    session: Session, event_type: str, *, actor_id: int | None = None, **data: Any
) -> DomainEvent:
    event = DomainEvent(type=event_type, data=data, actor_id=actor_id)
    for subscriber in subscribers_of(event_type):
        subscriber(session, event)
    return event
