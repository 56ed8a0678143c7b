from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, UTCDateTime, created_at_field, timestamp_field, where
from app.core.uuids import uuid7


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Webhook(SQLModel, table=True):
    """An integrator's endpoint and the event types it subscribes to."""

    __tablename__ = "webhooks"
    __table_args__ = (
        sa.CheckConstraint("consecutive_failures >= 0", name="failures_not_negative"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2048)
    # Kept in clear: it signs every delivery. Never returned after the create response.
    secret: str = Field(max_length=128)
    active: bool = True
    # Set when the webhook was disabled because it kept failing; cleared when re-enabled.
    disabled_reason: str | None = Field(default=None, max_length=200)
    # Failed deliveries since the last success; reaching the setting disables the webhook.
    consecutive_failures: int = 0
    created_by_id: int | None = Field(
        default=None, foreign_key="members.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class WebhookSubscription(SQLModel, table=True):
    """A webhook's interest in one event type: deliveries are written by joining on this."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (
        # The subscriber's question: which active webhooks want this type?
        sa.Index("ix_webhook_subscriptions_event_type", "event_type"),
    )

    webhook_id: int = Field(foreign_key="webhooks.id", primary_key=True, ondelete="CASCADE")
    event_type: str = Field(max_length=64, primary_key=True)


class WebhookEvent(SQLModel, table=True):
    """One payload `{id, type, created_at, data}`, shared by every delivery of it."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        # The retention sweep's walk over old events (app/webhooks/retention).
        sa.Index("ix_webhook_events_created_at", "created_at"),
        sa.UniqueConstraint("public_id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    # The payload's `id`, which receivers de-duplicate on: unique for ever (app.core.uuids),
    # where the integer id is issued again by a database restored from a backup.
    public_id: str = Field(default_factory=uuid7, max_length=36)
    type: str = Field(max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = created_at_field()


ONE_RECEIVER = (
    "(CASE WHEN webhook_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN chat_bridge_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN mail_message_id IS NULL THEN 0 ELSE 1 END) = 1"
)


class WebhookDelivery(SQLModel, table=True):
    """One event for one webhook, for one chat bridge (app/chat_bridges) or one mail
    (app/mail), sent until it succeeds or runs out of attempts."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status_known"),
        sa.CheckConstraint("attempt_count >= 0", name="attempts_not_negative"),
        # Exactly one receiver: a webhook, a chat bridge or a mail message.
        sa.CheckConstraint(ONE_RECEIVER, name="one_receiver"),
        # The dispatcher's query: pending deliveries in the order they fall due.
        sa.Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            **where("status = 'pending'"),
        ),
        # The retention sweep: finished deliveries by when they finished.
        sa.Index(
            "ix_webhook_deliveries_finished",
            "finished_at",
            **where("status != 'pending'"),
        ),
        # The delivery log of a webhook, newest first.
        sa.Index("ix_webhook_deliveries_webhook_id_id", "webhook_id", "id"),
        # The delivery log of a chat bridge, newest first.
        sa.Index("ix_webhook_deliveries_chat_bridge_id_id", "chat_bridge_id", "id"),
        # A mail's delivery (app/mail): one per message.
        sa.UniqueConstraint("mail_message_id"),
        sa.UniqueConstraint("public_id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    # Sent as `Sanggar-Delivery`: unique for ever, like the event's public_id.
    public_id: str = Field(default_factory=uuid7, max_length=36)
    webhook_id: int | None = Field(default=None, foreign_key="webhooks.id", ondelete="CASCADE")
    chat_bridge_id: int | None = Field(
        default=None, foreign_key="chat_bridges.id", ondelete="CASCADE"
    )
    # Set instead of the others for a mail (app/mail): the message to render and send.
    mail_message_id: int | None = Field(
        default=None, foreign_key="mail_messages.id", ondelete="CASCADE"
    )
    event_id: int = Field(foreign_key="webhook_events.id", index=True, ondelete="CASCADE")
    status: str = Field(default=DeliveryStatus.PENDING.value, max_length=16)
    attempt_count: int = 0
    # When the next attempt is due; null once succeeded or failed.
    next_attempt_at: datetime | None = timestamp_field()
    # A dispatcher that claimed the delivery owns it until then (see app/webhooks/dispatcher).
    leased_until: datetime | None = timestamp_field()
    lease_token: str | None = Field(default=None, max_length=32)
    created_at: datetime = created_at_field()
    finished_at: datetime | None = timestamp_field()


class WebhookAttempt(SQLModel, table=True):
    """One HTTP request of a delivery and what came back."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        sa.Index("ix_webhook_attempts_delivery_id_id", "delivery_id", "id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_deliveries.id", ondelete="CASCADE")
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status_code: int | None = None
    duration_ms: int
    error: str | None = Field(default=None, max_length=500)
    response_body: str = Field(default="", max_length=4096)
