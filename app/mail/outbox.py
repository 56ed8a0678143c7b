"""Writes a mail to the outbox, in the caller's transaction: nothing is sent before the
cause commits, and nothing is lost if the process dies after it."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session, col

from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.uuids import uuid7
from app.i18n import LOCALES
from app.models import DeliveryStatus, MailMessage, Member, WebhookDelivery, WebhookEvent

# What a message is, as `write` and `enqueue_many` take it.
MESSAGE_COLUMNS = ("member_id", "recipient", "template", "locale", "unsubscribe_kind", "context")


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
) -> int:
    """A message and its delivery (due at once); returns the message's id. The caller
    commits."""
    return write(
        session,
        {
            "member_id": member_id,
            "recipient": recipient,
            "template": template,
            "locale": locale,
            "unsubscribe_kind": unsubscribe_kind,
            "context": context,
        },
    )


def _bound(table: sa.Table, names: tuple[str, ...]) -> dict[str, sa.BindParameter[Any]]:
    return {name: sa.bindparam(f"{table.name}_{name}", type_=table.c[name].type) for name in names}


_MESSAGES = cast(sa.Table, MailMessage.__table__)  # type: ignore[attr-defined]
_EVENTS = cast(sa.Table, WebhookEvent.__table__)  # type: ignore[attr-defined]
_DELIVERIES = cast(sa.Table, WebhookDelivery.__table__)  # type: ignore[attr-defined]
_MESSAGE = sa.insert(_MESSAGES).values(_bound(_MESSAGES, (*MESSAGE_COLUMNS, "created_at")))
# The delivery's event row carries no data: the message is in mail_messages (and the log's
# retention forgets the event and the delivery together, like a webhook's).
_EVENT = sa.insert(_EVENTS).values(
    {**_bound(_EVENTS, ("public_id", "type", "created_at")), "data": {}}
)
_DELIVERY_VALUES = _bound(_DELIVERIES, ("public_id", "created_at"))
_DELIVERY_FIXED: dict[str, sa.ColumnElement[Any]] = {
    "status": sa.literal(DeliveryStatus.PENDING.value),
    "attempt_count": sa.literal(0),
    "next_attempt_at": _DELIVERY_VALUES["created_at"],
}
_WRITE_STEPS = (
    _MESSAGE.returning(_MESSAGES.c.id),
    _EVENT.returning(_EVENTS.c.id),
    sa.insert(_DELIVERIES).values(
        {
            **_DELIVERY_VALUES,
            **_DELIVERY_FIXED,
            "mail_message_id": sa.bindparam("message_id", type_=sa.Integer()),
            "event_id": sa.bindparam("event_id", type_=sa.Integer()),
        }
    ),
)


def _write_at_once() -> sa.Insert:
    """PostgreSQL: the message, its event and its delivery in one statement."""
    message = _MESSAGE.returning(_MESSAGES.c.id).cte("message")
    event = _EVENT.returning(_EVENTS.c.id).cte("event")
    columns = {**_DELIVERY_VALUES, **_DELIVERY_FIXED}
    rows = sa.select(
        *columns.values(),
        message.c.id,
        event.c.id,
    ).select_from(message.join(event, sa.true()))  # one row each
    return (
        sa.insert(_DELIVERIES)
        .from_select([*columns, "mail_message_id", "event_id"], rows)
        .returning(_DELIVERIES.c.mail_message_id)
    )


_WRITE_AT_ONCE = _write_at_once()


def write(session: Session, message: dict[str, Any]) -> int:
    """One message (`MESSAGE_COLUMNS`) and its delivery, due at once, by statements built
    once: one on PostgreSQL, three elsewhere. Returns the message's id. The caller commits."""
    now = utcnow()
    values = {f"mail_messages_{name}": message[name] for name in MESSAGE_COLUMNS}
    values |= {
        "mail_messages_created_at": now,
        "webhook_events_public_id": uuid7(),
        "webhook_events_type": f"mail.{message['template']}",
        "webhook_events_created_at": now,
        "webhook_deliveries_public_id": uuid7(),
        "webhook_deliveries_created_at": now,
    }
    if session.get_bind().dialect.name == "postgresql":
        message_id: int = session.execute(_WRITE_AT_ONCE, values).scalar_one()
        return message_id
    insert_message, insert_event, insert_delivery = _WRITE_STEPS
    values["message_id"] = session.execute(insert_message, values).scalar_one()
    values["event_id"] = session.execute(insert_event, values).scalar_one()
    session.execute(insert_delivery, values)
    return int(values["message_id"])


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
) -> int | None:
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
