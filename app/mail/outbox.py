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
    return str(member_locale) if member_locale in LOCALES else default_locale()


def default_locale() -> str:
    """The language of a member who has none (SANGGAR_DEFAULT_LOCALE)."""
    return get_settings().default_locale


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
_MESSAGE_VALUES = _bound(_MESSAGES, (*MESSAGE_COLUMNS, "gather_key", "created_at"))
_MESSAGE = sa.insert(_MESSAGES).values(_MESSAGE_VALUES)
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


def _values(message: dict[str, Any], gather_key: str | None) -> dict[str, Any]:
    """The parameters of the statements that write a message and its delivery."""
    values = {f"mail_messages_{name}": message[name] for name in MESSAGE_COLUMNS}
    return values | new_mail_values(message["template"], gather_key)


def new_mail_values(template: str, gather_key: str | None) -> dict[str, Any]:
    """A new message's parameters besides its `MESSAGE_COLUMNS` (its gather key and time),
    its event's and its delivery's."""
    now = utcnow()
    return {
        "mail_messages_template": template,
        "mail_messages_gather_key": gather_key,
        "mail_messages_created_at": now,
        "webhook_events_public_id": uuid7(),
        "webhook_events_type": f"mail.{template}",
        "webhook_events_created_at": now,
        "webhook_deliveries_public_id": uuid7(),
        "webhook_deliveries_created_at": now,
    }


def write(session: Session, message: dict[str, Any], *, gather_key: str | None = None) -> int:
    """One message (`MESSAGE_COLUMNS`) and its delivery, due at once, by statements built
    once: one on PostgreSQL, three elsewhere. Returns the message's id. The caller commits."""
    values = _values(message, gather_key)
    if session.get_bind().dialect.name == "postgresql":
        message_id: int = session.execute(_WRITE_AT_ONCE, values).scalar_one()
        return message_id
    return _write_in_steps(session, values)


def _write_in_steps(session: Session, values: dict[str, Any]) -> int:
    insert_message, insert_event, insert_delivery = _WRITE_STEPS
    values["message_id"] = session.execute(insert_message, values).scalar_one()
    values["event_id"] = session.execute(insert_event, values).scalar_one()
    session.execute(insert_delivery, values)
    return int(values["message_id"])


# A gathering mail takes at most this many items (comments); the next starts a new mail.
GATHER_LIMIT = 20


def _waiting() -> sa.ColumnElement[bool]:
    """A delivery no dispatcher has claimed or tried: what it sends is read at its claim."""
    return sa.and_(
        _DELIVERIES.c.status == DeliveryStatus.PENDING.value,
        _DELIVERIES.c.leased_until.is_(None),
        _DELIVERIES.c.attempt_count == 0,
    )


def _room(dialect: str) -> sa.ColumnElement[Any]:
    """How many items a gathering message holds."""
    if dialect == "postgresql":
        return sa.func.json_array_length(_MESSAGES.c.context["gathered"])
    return sa.func.json_array_length(_MESSAGES.c.context, "$.gathered")


def _open_to_gather(dialect: str) -> sa.Select[Any]:
    """The newest message of the gather key (bound: mail_messages_gather_key) whose delivery
    waits unclaimed and untried and which holds fewer items than gather_limit (bound), by
    the index ix_mail_messages_gather_key_id. Its id."""
    return (
        sa.select(_MESSAGES.c.id)
        .join(_DELIVERIES, _DELIVERIES.c.mail_message_id == _MESSAGES.c.id)
        .where(
            _MESSAGES.c.gather_key == _MESSAGE_VALUES["gather_key"],
            _MESSAGES.c.scrubbed_at.is_(None),
            _room(dialect) < sa.bindparam("gather_limit", type_=sa.Integer),
            _waiting(),
        )
        .order_by(_MESSAGES.c.id.desc())
        .limit(1)
    )


_FOLD = (
    sa.update(_MESSAGES)
    .where(_MESSAGES.c.id == _open_to_gather("sqlite").scalar_subquery())
    .values(
        context=sa.func.json_insert(
            _MESSAGES.c.context, "$.gathered[#]", sa.func.json(sa.bindparam("item", type_=sa.JSON))
        )
    )
    .returning(_MESSAGES.c.id)
)


def fold(session: Session, item: dict[str, Any], *, key: str) -> bool:
    """SQLite: adds `item` to the message `_open_to_gather` finds for `key`, if any. Write
    transactions are serial here (BEGIN IMMEDIATE): the dispatcher's claim runs wholly
    before or after this one, so checking the delivery is enough."""
    values = {"item": item, "mail_messages_gather_key": key, "gather_limit": GATHER_LIMIT}
    return session.connection().execute(_FOLD, values).first() is not None


def written_for(recipient: sa.CTE, *, gathers: bool) -> sa.Select[Any]:
    """PostgreSQL: the mail of the (one or no) row of `recipient`, in one statement. Its
    columns: id, email, locale (their mail's language), display_name, handle and `words`
    (JSONB: their context's words in that language, with `gathered`, a list of one item,
    when `gathers`). The message's parameters, its event's and delivery's are bound as
    `write` binds them (`new_mail_values`). Selects the message's id (None: no recipient).

    When `gathers`, the words' item is first added to `_open_to_gather`: its delivery is
    row-locked (FOR UPDATE SKIP LOCKED, as a dispatcher's claim does) only while no
    dispatcher claimed it: a claim in progress holds it and it is skipped, a claim committed
    since this statement began fails the WHERE checked again on the committed row; a claim
    that comes later skips it until this transaction ends. A delivery another comment is
    gathering into right now is skipped too (no waiting): the next older one waiting, else
    a new message. The item is appended while the message holds fewer than the limit
    (checked on the row as last committed); else a new message is written, keyed too."""
    from sqlalchemy.dialects.postgresql import JSONB

    words = recipient.c.words
    anyone = sa.exists(sa.select(recipient.c.id))
    unfolded: sa.ColumnElement[bool] = sa.true()
    folded = None
    if gathers:
        room = _room("postgresql")
        locked = (
            _open_to_gather("postgresql")
            .with_only_columns(_DELIVERIES.c.mail_message_id)
            .where(anyone)
            .with_for_update(skip_locked=True, of=_DELIVERIES)
            .cte("locked")
        )
        as_jsonb = sa.cast(_MESSAGES.c.context, JSONB)
        items = sa.select(words["gathered"]).scalar_subquery()
        appended = sa.func.jsonb_set(
            as_jsonb,
            sa.literal_column("'{gathered}'::text[]"),
            as_jsonb["gathered"].op("||")(items),
        )
        folded = (
            sa.update(_MESSAGES)
            .where(
                _MESSAGES.c.id.in_(sa.select(locked.c.mail_message_id)),
                room < sa.bindparam("gather_limit", type_=sa.Integer),
            )
            .values(context=sa.cast(appended, sa.JSON))
            .returning(_MESSAGES.c.id)
            .cte("folded")
        )
        unfolded = ~sa.exists(sa.select(folded.c.id))
    greeting = sa.func.jsonb_build_object(
        sa.literal_column("'display_name'"),
        recipient.c.display_name,
        sa.literal_column("'handle'"),
        recipient.c.handle,
    )
    from_recipient = {
        "member_id": recipient.c.id,
        "recipient": recipient.c.email,
        "locale": recipient.c.locale,
        "context": sa.cast(greeting.op("||")(words), sa.JSON),
    }
    columns = {**_MESSAGE_VALUES, **from_recipient}
    message = (
        sa.insert(_MESSAGES)
        .from_select(list(columns), sa.select(*columns.values()).where(unfolded))
        .returning(_MESSAGES.c.id)
        .cte("message")
    )
    event_values = _bound(_EVENTS, ("public_id", "type", "created_at"))
    event = (
        sa.insert(_EVENTS)
        .from_select(
            [*event_values, "data"],
            sa.select(*event_values.values(), sa.literal({}, _EVENTS.c.data.type)).where(
                sa.exists(sa.select(message.c.id))
            ),
        )
        .returning(_EVENTS.c.id)
        .cte("event")
    )
    delivery_columns = {**_DELIVERY_VALUES, **_DELIVERY_FIXED}
    delivery = (
        sa.insert(_DELIVERIES)
        .from_select(
            [*delivery_columns, "mail_message_id", "event_id"],
            sa.select(*delivery_columns.values(), message.c.id, event.c.id).select_from(
                message.join(event, sa.true())
            ),
        )
        .returning(_DELIVERIES.c.mail_message_id)
        .cte("delivery")
    )
    written = sa.select(delivery.c.mail_message_id).scalar_subquery()
    if folded is None:
        return sa.select(written.label("mailed"))
    return sa.select(
        sa.func.coalesce(sa.select(folded.c.id).scalar_subquery(), written).label("mailed")
    )


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
