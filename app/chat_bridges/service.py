"""Chat bridges and their delivery log.

A bridge's messages are deliveries of the webhook outbox (`webhook_deliveries` rows with
`chat_bridge_id` set): the webhook subscriber writes them in the transaction of the change,
beside the webhooks' deliveries of the same event row, and the webhook dispatcher sends
them through the bridge transport (app/chat_bridges/subscribers.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.chat_bridges import crypto, targets
from app.chat_bridges.exceptions import ChatBridgeInactive, ChatBridgeNotFound
from app.chat_bridges.schemas import (
    ChatBridgeAttemptPublic,
    ChatBridgeCreate,
    ChatBridgeDeliveryFilters,
    ChatBridgeDeliveryPublic,
    ChatBridgePublic,
    ChatBridgeTarget,
    ChatBridgeUpdate,
)
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.pagination import PageParams, desc, paginate
from app.core.tables import id_of
from app.models import (
    ChatBridge,
    ChatBridgeKind,
    ChatBridgeSubscription,
    DeliveryStatus,
    Member,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
)

PING = "ping"


def _store_target(
    bridge: ChatBridge,
    settings: Settings,
    *,
    kind: ChatBridgeKind,
    target: ChatBridgeTarget,
    check_address: bool = True,
) -> None:
    given = target.model_dump(exclude_none=True)
    split = targets.split(kind, given, settings, check_address=check_address)
    bridge.target = split.public
    bridge.secret_ciphertext = crypto.encrypt(settings, split.secret)
    bridge.secret_hint = crypto.hint(split.secret)


def create_bridge(
    session: Session,
    settings: Settings,
    *,
    creator: Member,
    data: ChatBridgeCreate,
    check_address: bool = True,
) -> ChatBridge:
    """The new bridge, its secret encrypted. `check_address=False` (the demo's inactive
    placeholders) does not resolve a Matrix homeserver."""
    now = utcnow()
    bridge = ChatBridge(
        kind=data.kind,
        name=data.name,
        locale=data.locale,
        active=data.active,
        secret_ciphertext=b"",
        secret_hint="",
        created_by_id=creator.id,
        created_at=now,
        updated_at=now,
    )
    kind = ChatBridgeKind(data.kind)
    _store_target(bridge, settings, kind=kind, target=data.target, check_address=check_address)
    session.add(bridge)
    session.flush()
    _subscribe(session, bridge_id=id_of(bridge), event_types=data.events)
    _audit(
        session, creator, "chat_bridge.created", bridge, audit.diff({}, _audited(session, bridge))
    )
    return bridge


def _audit(
    session: Session, actor: Member, action: str, bridge: ChatBridge, changes: dict[str, Any]
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="chat_bridge",
        target_id=id_of(bridge),
        changes=changes,
    )


def _audited(session: Session, bridge: ChatBridge) -> dict[str, Any]:
    """What the audit log shows of a bridge (never its secret, only its hint)."""
    return {
        "kind": bridge.kind,
        "name": bridge.name,
        "target": {**bridge.target, "secret_hint": bridge.secret_hint},
        "events": sorted(_events(session, [id_of(bridge)])[id_of(bridge)]),
        "locale": bridge.locale,
        "active": bridge.active,
    }


def _subscribe(session: Session, *, bridge_id: int, event_types: Iterable[str]) -> None:
    session.execute(
        sa.delete(ChatBridgeSubscription).where(
            col(ChatBridgeSubscription.chat_bridge_id) == bridge_id
        )
    )
    session.add_all(
        ChatBridgeSubscription(chat_bridge_id=bridge_id, event_type=t) for t in event_types
    )
    session.flush()


def list_bridges(session: Session, *, params: PageParams) -> tuple[list[ChatBridge], str | None]:
    return paginate(session, select(ChatBridge), keys=[desc(ChatBridge.id)], params=params)


def get_bridge(session: Session, *, bridge_id: int, lock: bool = False) -> ChatBridge:
    statement = select(ChatBridge).where(ChatBridge.id == bridge_id)
    if lock:
        statement = statement.with_for_update()
    bridge = session.exec(statement).first()
    if bridge is None:
        raise ChatBridgeNotFound(f"Chat bridge {bridge_id} does not exist.")
    return bridge


def update_bridge(
    session: Session,
    settings: Settings,
    *,
    bridge: ChatBridge,
    changes: ChatBridgeUpdate,
    actor: Member,
) -> ChatBridge:
    sent = changes.model_dump(exclude_unset=True)
    before = _audited(session, bridge)
    if changes.target is not None:
        _store_target(bridge, settings, kind=ChatBridgeKind(bridge.kind), target=changes.target)
        sent.pop("target")
    if "events" in sent:
        _subscribe(session, bridge_id=id_of(bridge), event_types=sent.pop("events"))
    if sent.get("active") and not bridge.active:
        bridge.disabled_reason, bridge.consecutive_failures = None, 0
    for field, value in sent.items():
        setattr(bridge, field, value)
    if changes.model_fields_set:
        bridge.updated_at = utcnow()
    session.add(bridge)
    session.flush()
    changed = audit.diff(before, _audited(session, bridge))
    if changed:
        _audit(session, actor, "chat_bridge.updated", bridge, changed)
    return bridge


def delete_bridge(session: Session, *, bridge: ChatBridge, actor: Member) -> None:
    """Its subscriptions and deliveries go with it (ON DELETE CASCADE)."""
    before = _audited(session, bridge)
    session.execute(sa.delete(ChatBridge).where(col(ChatBridge.id) == bridge.id))
    _audit(session, actor, "chat_bridge.deleted", bridge, audit.diff(before, dict.fromkeys(before)))


def _events(session: Session, bridge_ids: list[int]) -> dict[int, list[str]]:
    events: dict[int, list[str]] = defaultdict(list)
    if bridge_ids:
        rows = session.execute(
            sa.select(  # type: ignore[call-overload]
                ChatBridgeSubscription.chat_bridge_id, ChatBridgeSubscription.event_type
            )
            .where(col(ChatBridgeSubscription.chat_bridge_id).in_(bridge_ids))
            .order_by(col(ChatBridgeSubscription.event_type))
        )
        for bridge_id, event_type in rows:
            events[bridge_id].append(event_type)
    return events


def present_bridges(session: Session, bridges: Sequence[ChatBridge]) -> list[ChatBridgePublic]:
    """Many bridges with their event types, in one query for the whole page."""
    events = _events(session, [id_of(b) for b in bridges])
    return [
        ChatBridgePublic.model_validate(
            {
                **b.model_dump(exclude={"target", "secret_ciphertext", "secret_hint"}),
                "events": events[id_of(b)],
                "target": {
                    "chat_id": b.target.get("chat_id"),
                    "homeserver": b.target.get("homeserver"),
                    "room_id": b.target.get("room_id"),
                    "secret_hint": b.secret_hint,
                },
            }
        )
        for b in bridges
    ]


# --- deliveries ----------------------------------------------------------------------------


def queue_test(session: Session, *, bridge: ChatBridge) -> WebhookDelivery:
    """A test message to this bridge alone, due now (event type `ping`)."""
    if not bridge.active:
        raise ChatBridgeInactive(
            f"Chat bridge {bridge.id} is inactive; set `active: true` to post to it again."
        )
    now = utcnow()
    event = WebhookEvent(
        type=PING,
        data={"chat_bridge_id": id_of(bridge), "message": "Hello from Sanggar."},
        created_at=now,
    )
    session.add(event)
    session.flush()
    delivery = WebhookDelivery(
        chat_bridge_id=id_of(bridge),
        event_id=id_of(event),
        status=DeliveryStatus.PENDING.value,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    return delivery


def list_deliveries(
    session: Session,
    *,
    bridge: ChatBridge,
    filters: ChatBridgeDeliveryFilters,
    params: PageParams,
) -> tuple[list[WebhookDelivery], str | None]:
    statement = select(WebhookDelivery).where(WebhookDelivery.chat_bridge_id == bridge.id)
    if filters.status is not None:
        statement = statement.where(WebhookDelivery.status == filters.status)
    return paginate(session, statement, keys=[desc(WebhookDelivery.id)], params=params)


def present_deliveries(
    session: Session, deliveries: Sequence[WebhookDelivery]
) -> list[ChatBridgeDeliveryPublic]:
    """A page of deliveries with their event types and attempts: two queries."""
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
    attempts: dict[int, list[ChatBridgeAttemptPublic]] = defaultdict(list)
    rows = session.exec(
        select(WebhookAttempt)
        .where(col(WebhookAttempt.delivery_id).in_([id_of(d) for d in deliveries]))
        .order_by(col(WebhookAttempt.delivery_id), col(WebhookAttempt.id))
    )
    for attempt in rows:
        attempts[attempt.delivery_id].append(
            ChatBridgeAttemptPublic.model_validate(attempt.model_dump())
        )
    return [
        ChatBridgeDeliveryPublic.model_validate(
            {
                **d.model_dump(),
                "event_id": events[d.event_id][0],
                "event_type": events[d.event_id][1],
                "attempts": attempts[id_of(d)],
            }
        )
        for d in deliveries
    ]
