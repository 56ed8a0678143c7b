"""Webhooks, their subscriptions, and the deliveries written for them.

Deliveries are only ever written here, on the caller's session (by the subscriber, a ping
or a redelivery); sending is the dispatcher's job (app/webhooks/dispatcher.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.pagination import PageParams
from app.core.security import new_secret
from app.core.tables import id_of
from app.core.uuids import uuid7
from app.i18n import N_
from app.models import (
    ChatBridge,
    ChatBridgeSubscription,
    DeliveryStatus,
    Member,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from app.outbox import service as receivers
from app.problems.details import does_not_exist
from app.webhooks import safety, signing
from app.webhooks.exceptions import (
    DeliveryNotFound,
    WebhookInactive,
    WebhookNotFound,
    WebhookUrlNotAllowed,
)
from app.webhooks.payloads import PING, PingData
from app.webhooks.schemas import (
    DeliveryPublic,
    WebhookCreate,
    WebhookPublic,
    WebhookUpdate,
)

# --- webhooks ------------------------------------------------------------------------------


def check_url(url: str, settings: Settings) -> None:
    """Refuses (422) a URL whose host is not a public address, unless private ones are allowed."""
    if settings.webhooks_allow_private:
        return
    try:
        safety.public_target(url)
    except safety.UnsafeUrl as error:
        raise WebhookUrlNotAllowed(
            error.message, values=error.values, loc=["body", "url"]
        ) from error


def create_webhook(
    session: Session, settings: Settings, *, creator: Member, data: WebhookCreate
) -> tuple[Webhook, str]:
    """The new webhook and its secret (generated unless given), the only time it is shown."""
    check_url(data.url, settings)
    secret = data.secret or new_secret(signing.SECRET_PREFIX)
    now = utcnow()
    webhook = Webhook(
        url=data.url,
        secret=secret,
        active=data.active,
        created_by_id=creator.id,
        created_at=now,
        updated_at=now,
    )
    session.add(webhook)
    session.flush()
    receivers.subscribe(session, webhook, data.events)
    after = {"url": data.url, "active": data.active, "events": sorted(data.events)}
    _audit(session, creator, "webhook.created", webhook, audit.diff({}, after))
    return webhook, secret


def _audit(
    session: Session, actor: Member, action: str, webhook: Webhook, changes: dict[str, Any]
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="webhook",
        target_id=id_of(webhook),
        changes=changes,
    )


def _audited_fields(session: Session, webhook: Webhook) -> dict[str, Any]:
    """The fields the audit log shows of a webhook (never its secret)."""
    events = receivers.event_types(session, Webhook, [id_of(webhook)])[id_of(webhook)]
    return {"url": webhook.url, "active": webhook.active, "events": events}


def list_webhooks(session: Session, *, params: PageParams) -> tuple[list[Webhook], str | None]:
    return receivers.list_newest_first(session, Webhook, params=params)


def get_webhook(session: Session, *, webhook_id: int, lock: bool = False) -> Webhook:
    missing = does_not_exist(WebhookNotFound, N_("Webhook"), webhook_id)
    return receivers.get(session, Webhook, webhook_id, lock=lock, missing=missing)


def update_webhook(
    session: Session, settings: Settings, *, webhook: Webhook, changes: WebhookUpdate, actor: Member
) -> Webhook:
    sent = changes.model_dump(exclude_unset=True)
    before = _audited_fields(session, webhook)
    rotated = "secret" in sent and sent["secret"] != webhook.secret
    if "url" in sent:
        check_url(sent["url"], settings)
    if "events" in sent:
        receivers.subscribe(session, webhook, sent.pop("events"))
    if sent.get("active") and not webhook.active:
        webhook.disabled_reason, webhook.consecutive_failures = None, 0
    for field, value in sent.items():
        setattr(webhook, field, value)
    if changes.model_fields_set:
        webhook.updated_at = utcnow()
    session.add(webhook)
    session.flush()
    changed = audit.diff(before, _audited_fields(session, webhook))
    if rotated:  # never the secret itself: the log is readable by every admin
        changed["secret"] = {"before": "…", "after": "(rotated)"}
    if changed:
        _audit(session, actor, "webhook.updated", webhook, changed)
    return webhook


def delete_webhook(session: Session, *, webhook: Webhook, actor: Member) -> None:
    """Its subscriptions, deliveries and their attempts go with it (ON DELETE CASCADE)."""
    before = _audited_fields(session, webhook)
    session.execute(sa.delete(Webhook).where(col(Webhook.id) == webhook.id))
    _audit(session, actor, "webhook.deleted", webhook, audit.diff(before, dict.fromkeys(before)))


def present_webhooks(session: Session, webhooks: Sequence[Webhook]) -> list[WebhookPublic]:
    """Many webhooks with their event types, in one query for the whole page."""
    events = receivers.event_types(session, Webhook, [id_of(w) for w in webhooks])
    return [
        WebhookPublic.model_validate(
            {**w.model_dump(), "events": events[id_of(w)], "secret_hint": "…" + w.secret[-4:]}
        )
        for w in webhooks
    ]


# --- deliveries ----------------------------------------------------------------------------


def has_subscribers(session: Session, *, event_type: str) -> bool:
    """Whether an active webhook or chat bridge subscribes to the type (one query)."""
    return bool(session.execute(_HAS_SUBSCRIBERS, {"type": event_type}).scalar())


def _bridges(event_type: str | sa.BindParameter[str]) -> sa.Select[Any]:
    """The active chat bridges subscribed to the type (app/chat_bridges): their messages
    go through this outbox too."""
    return (
        sa.select(col(ChatBridge.id))
        .join(
            ChatBridgeSubscription,
            col(ChatBridgeSubscription.chat_bridge_id) == col(ChatBridge.id),
        )
        .where(col(ChatBridgeSubscription.event_type) == event_type, col(ChatBridge.active))
    )


# Built once (it runs for every domain event that has a webhook type): building it and its
# cache key per call cost more CPU than running it.
_TYPE = sa.bindparam("type", type_=sa.String)
_HAS_SUBSCRIBERS = sa.select(
    sa.select(sa.literal(1))
    .select_from(WebhookSubscription)
    .join(Webhook, col(Webhook.id) == col(WebhookSubscription.webhook_id))
    .where(col(WebhookSubscription.event_type) == _TYPE, col(Webhook.active))
    .exists()
    | _bridges(_TYPE).exists()
)


def enqueue(
    session: Session, *, event_type: str, data: dict[str, Any], webhook_id: int | None = None
) -> WebhookEvent:
    """The payload and one pending delivery per active webhook and chat bridge subscribed to
    its type (or for `webhook_id` alone), due now."""
    now = utcnow()
    event = WebhookEvent(type=event_type, data=data, created_at=now)
    session.add(event)
    session.flush()
    if webhook_id is None:
        targets = (
            sa.select(col(Webhook.id))
            .join(WebhookSubscription, col(WebhookSubscription.webhook_id) == col(Webhook.id))
            .where(col(WebhookSubscription.event_type) == event_type, col(Webhook.active))
        )
    else:
        targets = sa.select(col(Webhook.id)).where(col(Webhook.id) == webhook_id)
    _insert_deliveries(session, targets, event_id=id_of(event))
    if webhook_id is None:
        _insert_deliveries(
            session, _bridges(event_type), event_id=id_of(event), receiver="chat_bridge_id"
        )
    return event


def _insert_deliveries(
    session: Session, targets: sa.Select[Any], *, event_id: int, receiver: str = "webhook_id"
) -> None:
    """A delivery per webhook (or chat bridge) id `targets` selects, in one multi-row INSERT:
    each gets a public id of its own (made here; SQL has no portable UUIDv7)."""
    webhook_ids = session.execute(targets).scalars().all()
    if not webhook_ids:
        return
    now = utcnow()
    rows = [
        {
            receiver: webhook_id,
            "event_id": event_id,
            "public_id": uuid7(),
            "status": DeliveryStatus.PENDING.value,
            "attempt_count": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for webhook_id in webhook_ids
    ]
    session.execute(sa.insert(WebhookDelivery), rows)


def _require_active(webhook: Webhook) -> None:
    if not webhook.active:
        raise WebhookInactive(
            N_("Webhook {webhook} is inactive; set `active: true` to send to it again."),
            values={"webhook": webhook.id},
        )


def ping(session: Session, *, webhook: Webhook) -> WebhookDelivery:
    """A `ping` delivery to this webhook alone, due now."""
    _require_active(webhook)
    data = PingData(webhook_id=id_of(webhook), message="Hello from Sanggar.")
    event = enqueue(session, event_type=PING, data=data.model_dump(), webhook_id=id_of(webhook))
    return _latest_delivery(session, webhook_id=id_of(webhook), event_id=id_of(event))


def redeliver(session: Session, *, webhook: Webhook, delivery: WebhookDelivery) -> WebhookDelivery:
    """A new delivery of the same event (same payload id), due now; the old one keeps its log."""
    _require_active(webhook)
    targets = sa.select(col(Webhook.id)).where(col(Webhook.id) == webhook.id)
    _insert_deliveries(session, targets, event_id=delivery.event_id)
    return _latest_delivery(session, webhook_id=id_of(webhook), event_id=delivery.event_id)


def _latest_delivery(session: Session, *, webhook_id: int, event_id: int) -> WebhookDelivery:
    return session.exec(
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.event_id == event_id)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(1)
    ).one()


def get_delivery(session: Session, *, webhook: Webhook, delivery_id: int) -> WebhookDelivery:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.webhook_id != webhook.id:
        raise DeliveryNotFound(
            N_("Delivery {delivery_id} of webhook {webhook} does not exist."),
            values={"delivery_id": delivery_id, "webhook": webhook.id},
        )
    return delivery


def present_deliveries(
    session: Session, deliveries: Sequence[WebhookDelivery]
) -> list[DeliveryPublic]:
    return receivers.present_deliveries(session, deliveries, DeliveryPublic)
