"""Writes a mail to the outbox, in the caller's transaction: nothing is sent before the
cause commits, and nothing is lost if the process dies after it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.tables import id_of
from app.core.uuids import uuid7
from app.i18n import LOCALES
from app.models import DeliveryStatus, MailMessage, Member, WebhookDelivery, WebhookEvent


def locale_of(member: Member | None) -> str:
    """The member's language when it is known, else the default (no request to ask)."""
    return language(member.locale if member is not None else None)


def language(member_locale: str | None) -> str:
    """A member's `locale` column as the language of their mail."""
    return str(member_locale) if member_locale in LOCALES else get_settings().default_locale


def enqueue(
    session: Session,
    *,
    recipient: str,
    template: str,
    locale: str,
    context: dict[str, Any],
    member_id: int | None = None,
    unsubscribe_kind: str | None = None,
) -> MailMessage:
    """A message and its delivery (due at once). The caller commits."""
    now = utcnow()
    message = MailMessage(
        member_id=member_id,
        recipient=recipient,
        template=template,
        locale=locale,
        unsubscribe_kind=unsubscribe_kind,
        context=context,
        created_at=now,
    )
    # The delivery's event row carries no data: the message is in mail_messages (and the
    # log's retention forgets the event and the delivery together, like a webhook's).
    event = WebhookEvent(type=f"mail.{template}", data={}, created_at=now)
    session.add(message)
    session.add(event)
    session.flush()
    session.add(
        WebhookDelivery(
            mail_message_id=id_of(message),
            event_id=id_of(event),
            status=DeliveryStatus.PENDING.value,
            next_attempt_at=now,
            created_at=now,
        )
    )
    return message


def enqueue_many(session: Session, messages: list[dict[str, Any]]) -> int:
    """Many messages (each: the MailMessage columns) and their deliveries in three INSERTs,
    whatever their number: for a batch of digests. Returns how many. The caller commits."""
    if not messages:
        return 0
    now = utcnow()
    message_ids = (
        session.execute(
            sa.insert(MailMessage).returning(col(MailMessage.id), sort_by_parameter_order=True),
            [{"created_at": now, **message} for message in messages],
        )
        .scalars()
        .all()
    )
    event_ids = (
        session.execute(
            sa.insert(WebhookEvent).returning(col(WebhookEvent.id), sort_by_parameter_order=True),
            [
                {
                    "public_id": uuid7(),
                    "type": f"mail.{m['template']}",
                    "data": {},
                    "created_at": now,
                }
                for m in messages
            ],
        )
        .scalars()
        .all()
    )
    session.execute(
        sa.insert(WebhookDelivery),
        [
            {
                "public_id": uuid7(),
                "mail_message_id": message_id,
                "event_id": event_id,
                "status": DeliveryStatus.PENDING.value,
                "attempt_count": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for message_id, event_id in zip(message_ids, event_ids, strict=True)
        ],
    )
    return len(message_ids)


def to_member(
    session: Session,
    member: Member,
    *,
    template: str,
    context: dict[str, Any],
    unsubscribe_kind: str | None = None,
) -> MailMessage | None:
    """A mail to a member's address, in their language; none for a deactivated member."""
    if not member.is_active or member.id is None:
        return None
    return enqueue(
        session,
        recipient=member.email,
        template=template,
        locale=locale_of(member),
        context={"display_name": member.display_name, "handle": member.handle, **context},
        member_id=member.id,
        unsubscribe_kind=unsubscribe_kind,
    )
