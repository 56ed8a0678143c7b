"""Receivers (webhooks and chat bridges): load-or-404, their event types, their delivery log.

A receiver is a table with an integer `id`; its subscriptions are a table of (`<owner>`,
`event_type`) rows, `<owner>` being `webhook_id` or `chat_bridge_id`, the column that also
says whose a delivery is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, SQLModel, col, select

from app.core.pagination import Page, PageParams, desc, paginate
from app.core.tables import id_of
from app.models import (
    ChatBridge,
    ChatBridgeSubscription,
    DeliveryStatus,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from app.outbox.schemas import AttemptPublic

R = TypeVar("R", Webhook, ChatBridge)
P = TypeVar("P", bound=Page[Any])
D = TypeVar("D", bound=BaseModel)

# Each kind of receiver: its subscriptions' table and the column naming the receiver there
# and in `webhook_deliveries`.
_OWNER: dict[type[SQLModel], tuple[sa.Table, str]] = {
    Webhook: (SQLModel.metadata.tables[WebhookSubscription.__tablename__], "webhook_id"),
    ChatBridge: (SQLModel.metadata.tables[ChatBridgeSubscription.__tablename__], "chat_bridge_id"),
}


def list_newest_first(
    session: Session, model: type[R], *, params: PageParams
) -> tuple[list[R], str | None]:
    return paginate(session, select(model), keys=[desc(model.id)], params=params)


def get(session: Session, model: type[R], receiver_id: int, *, lock: bool, missing: Exception) -> R:
    """The receiver, locked for the transaction when `lock` (PostgreSQL: concurrent edits of
    one receiver are decided one at a time); raises `missing` when there is none."""
    statement = select(model).where(model.id == receiver_id)
    if lock:
        statement = statement.with_for_update()
    found = session.exec(statement).first()
    if found is None:
        raise missing
    return found


def subscribe(session: Session, receiver: Webhook | ChatBridge, event_types: Iterable[str]) -> None:
    """Replaces the receiver's event types with these (one DELETE, one INSERT)."""
    table, owner = _OWNER[type(receiver)]
    session.execute(sa.delete(table).where(table.c[owner] == receiver.id))
    rows = [{owner: receiver.id, "event_type": event_type} for event_type in event_types]
    if rows:
        session.execute(sa.insert(table), rows)


def event_types(
    session: Session, model: type[R], receiver_ids: Sequence[int]
) -> dict[int, list[str]]:
    """Each receiver's event types, sorted: one query for a whole page of receivers."""
    found: dict[int, list[str]] = defaultdict(list)
    if receiver_ids:
        table, owner = _OWNER[model]
        statement = (
            sa.select(table.c[owner], table.c.event_type)
            .where(table.c[owner].in_(receiver_ids))
            .order_by(table.c.event_type)
        )
        for receiver_id, event_type in session.execute(statement):
            found[receiver_id].append(event_type)
    return found


# --- the delivery log ----------------------------------------------------------------------


def delivery_log(
    session: Session,
    page: type[P],
    item: type[D],
    *,
    receiver: Webhook | ChatBridge,
    status: DeliveryStatus | None,
    params: PageParams,
) -> P:
    """The receiver's deliveries, newest first, each with its attempts (three queries)."""
    owner = (
        WebhookDelivery.chat_bridge_id
        if isinstance(receiver, ChatBridge)
        else WebhookDelivery.webhook_id
    )
    statement = select(WebhookDelivery).where(col(owner) == receiver.id)
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)
    keys = [desc(WebhookDelivery.id)]
    deliveries, next_cursor = paginate(session, statement, keys=keys, params=params)
    return page(items=present_deliveries(session, deliveries, item), next_cursor=next_cursor)


def present_deliveries(
    session: Session, deliveries: Sequence[WebhookDelivery], item: type[D]
) -> list[D]:
    """Deliveries with their event's id and type and their attempts: two queries, whatever
    their number."""
    if not deliveries:
        return []
    events: dict[int, tuple[str, str]] = {
        event_id: (public_id, event_type)
        for event_id, public_id, event_type in session.execute(
            sa.select(WebhookEvent.id, WebhookEvent.public_id, WebhookEvent.type).where(  # type: ignore[call-overload]
                col(WebhookEvent.id).in_({d.event_id for d in deliveries})
            )
        )
    }
    attempts: dict[int, list[AttemptPublic]] = defaultdict(list)
    rows = session.exec(
        select(WebhookAttempt)
        .where(col(WebhookAttempt.delivery_id).in_([id_of(d) for d in deliveries]))
        .order_by(col(WebhookAttempt.delivery_id), col(WebhookAttempt.id))
    )
    for attempt in rows:
        attempts[attempt.delivery_id].append(AttemptPublic.model_validate(attempt.model_dump()))
    return [
        item.model_validate(
            {
                **d.model_dump(),
                "event_id": events[d.event_id][0],
                "event_type": events[d.event_id][1],
                "attempts": attempts[id_of(d)],
            }
        )
        for d in deliveries
    ]
