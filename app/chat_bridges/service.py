"""Chat bridges and their delivery log.

A bridge's messages are deliveries of the webhook outbox (`webhook_deliveries` rows with
`chat_bridge_id` set): the webhook subscriber writes them in the transaction of the change,
beside the webhooks' deliveries of the same event row, and the webhook dispatcher sends
them through the bridge transport (app/chat_bridges/subscribers.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from app.audit import service as audit
from app.chat_bridges import crypto, targets
from app.chat_bridges.exceptions import ChatBridgeInactive, ChatBridgeNotFound
from app.chat_bridges.schemas import (
    ChatBridgeCreate,
    ChatBridgeDeliveryPublic,
    ChatBridgePublic,
    ChatBridgeTarget,
    ChatBridgeUpdate,
)
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.pagination import PageParams
from app.core.tables import id_of
from app.i18n import N_
from app.models import (
    ChatBridge,
    ChatBridgeKind,
    DeliveryStatus,
    Member,
    WebhookDelivery,
    WebhookEvent,
)
from app.outbox import service as receivers
from app.problems.details import does_not_exist

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
    receivers.subscribe(session, bridge, data.events)
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
        "events": receivers.event_types(session, ChatBridge, [id_of(bridge)])[id_of(bridge)],
        "locale": bridge.locale,
        "active": bridge.active,
    }


def list_bridges(session: Session, *, params: PageParams) -> tuple[list[ChatBridge], str | None]:
    return receivers.list_newest_first(session, ChatBridge, params=params)


def get_bridge(session: Session, *, bridge_id: int, lock: bool = False) -> ChatBridge:
    missing = does_not_exist(ChatBridgeNotFound, N_("Chat bridge"), bridge_id)
    return receivers.get(session, ChatBridge, bridge_id, lock=lock, missing=missing)


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
        receivers.subscribe(session, bridge, sent.pop("events"))
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


def present_bridges(session: Session, bridges: Sequence[ChatBridge]) -> list[ChatBridgePublic]:
    """Many bridges with their event types, in one query for the whole page."""
    events = receivers.event_types(session, ChatBridge, [id_of(b) for b in bridges])
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
            N_("Chat bridge {bridge} is inactive; set `active: true` to post to it again."),
            values={"bridge": bridge.id},
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


def present_deliveries(
    session: Session, deliveries: Sequence[WebhookDelivery]
) -> list[ChatBridgeDeliveryPublic]:
    return receivers.present_deliveries(session, deliveries, ChatBridgeDeliveryPublic)
