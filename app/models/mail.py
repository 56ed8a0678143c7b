from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, created_at_field, one_of, timestamp_field, where


class DigestSetting(StrEnum):
    WEEKLY = "weekly"
    OFF = "off"


# A gathering mail not sent (nor failed for good) yet: sending clears `context` and sets
# `scrubbed_at`.
UNSENT_GATHERING = "gather_key IS NOT NULL AND scrubbed_at IS NULL"


class MailMessage(SQLModel, table=True):
    """One mail to send (app/mail): what to render, for whom, in which language.

    It is sent through the webhook outbox: its `webhook_deliveries` row names it
    (`mail_message_id`) and the dispatcher's mail transport renders and sends it. The
    `context` may hold a secret (a password-reset token): it is cleared (set null, with
    `scrubbed_at`) as soon as the delivery succeeds or fails for good.
    """

    __tablename__ = "mail_messages"
    __table_args__ = (
        sa.CheckConstraint("locale IN ('id', 'en')", name="locale_known"),
        # The mails of a gather key not sent yet, newest first (app/mail/outbox.py).
        sa.Index(
            "ix_mail_messages_gather_key_id",
            "gather_key",
            "id",
            **where(UNSENT_GATHERING),
        ),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    # Null for a mail to an address that is no member's (yet): an email change's new address.
    member_id: int | None = Field(
        default=None, foreign_key="members.id", index=True, ondelete="SET NULL"
    )
    recipient: str = Field(max_length=254)
    template: str = Field(max_length=64)
    # The notification kind (or "digest") a List-Unsubscribe link turns off; null for
    # account mails, which carry no such link.
    unsubscribe_kind: str | None = Field(default=None, max_length=64)
    locale: str = Field(max_length=8)
    context: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    created_at: datetime = created_at_field()
    scrubbed_at: datetime | None = timestamp_field()
    # What the mail gathers while it waits to be sent: a comment notification's mail is
    # keyed by its recipient and work, and later comments on that work are added to it
    # (app/mail/along.py, app/mail/outbox.py) until the dispatcher claims it. Null for other mails.
    gather_key: str | None = Field(default=None, max_length=96)


class MailSettings(SQLModel, table=True):
    """A member's mail choices; a member without a row has the defaults."""

    __tablename__ = "mail_settings"
    __table_args__ = (sa.CheckConstraint(one_of("digest", DigestSetting), name="digest_known"),)

    member_id: int = Field(foreign_key="members.id", primary_key=True, ondelete="CASCADE")
    digest: str = Field(default=DigestSetting.WEEKLY.value, max_length=8)
    # Only the kinds the member changed: {"comment.created": false}; others take the default.
    email: dict[str, bool] = Field(default_factory=dict, sa_type=sa.JSON)
    updated_at: datetime = created_at_field()


class MailDigest(SQLModel, table=True):
    """A weekly digest written for a member: the key that makes it once per member and week."""

    __tablename__ = "mail_digests"
    __table_args__ = (sa.Index("ix_mail_digests_week", "week"),)

    member_id: int = Field(foreign_key="members.id", primary_key=True, ondelete="CASCADE")
    week: str = Field(max_length=8, primary_key=True)  # ISO week: "2026-W49"
    created_at: datetime = created_at_field()
