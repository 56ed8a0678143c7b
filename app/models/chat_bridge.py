from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, created_at_field, one_of


class ChatBridgeKind(StrEnum):
    DISCORD = "discord"
    TELEGRAM = "telegram"
    SLACK = "slack"
    MATRIX = "matrix"


class ChatBridge(SQLModel, table=True):
    """A community chat group Sanggar posts short messages to (app/chat_bridges).

    Its deliveries are rows of `webhook_deliveries` (with `chat_bridge_id` set instead of
    `webhook_id`), sent by the webhook dispatcher.
    """

    __tablename__ = "chat_bridges"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", ChatBridgeKind), name="kind_known"),
        sa.CheckConstraint("locale IN ('id', 'en')", name="locale_known"),
        sa.CheckConstraint("consecutive_failures >= 0", name="failures_not_negative"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    name: str = Field(max_length=100)
    locale: str = Field(max_length=8)
    # The target's parts that are no secret: Telegram's chat_id; Matrix's homeserver, room_id.
    target: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    # The secret part (the Discord/Slack webhook URL, the Telegram bot token, the Matrix
    # access token), encrypted with a key derived from SANGGAR_SECRET_KEY (Fernet): a
    # database dump alone does not reveal it.
    secret_ciphertext: bytes = Field(sa_type=sa.LargeBinary)
    # The last four characters of the secret, shown as `…Xk3f`.
    secret_hint: str = Field(max_length=8)
    active: bool = True
    # Set when the bridge was switched off because it kept failing; cleared when re-enabled.
    disabled_reason: str | None = Field(default=None, max_length=200)
    consecutive_failures: int = 0
    created_by_id: int | None = Field(
        default=None, foreign_key="members.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class ChatBridgeSubscription(SQLModel, table=True):
    """A bridge's interest in one webhook event type."""

    __tablename__ = "chat_bridge_subscriptions"
    __table_args__ = (sa.Index("ix_chat_bridge_subscriptions_event_type", "event_type"),)

    chat_bridge_id: int = Field(foreign_key="chat_bridges.id", primary_key=True, ondelete="CASCADE")
    event_type: str = Field(max_length=64, primary_key=True)
