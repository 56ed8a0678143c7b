"""Sends due deliveries: claimed with a lease, sent outside any transaction, then recorded.

Every app process runs this every `SANGGAR_WEBHOOK_DISPATCH_SECONDS`. One run:

1. claim (app.leases): up to n due, unleased deliveries get `leased_until = now + LEASE` and
   our lease token, in one `UPDATE … WHERE id IN (… FOR UPDATE SKIP LOCKED)` committed at
   once, so a delivery goes to one process only. The rows claimed are those carrying our
   token.
2. send each claimed delivery (a few at a time, in threads), holding no transaction;
3. record the batch's attempts in one transaction: each attempt's row, and the delivery's
   new state (`succeeded`, or the next attempt after base × 2^(n-1), or `failed`), only while
   we still hold its lease (`WHERE lease_token = :t`).

The same outbox carries the messages of chat bridges (app/chat_bridges): a delivery names
either a webhook or a chat bridge, the claim covers both, and the send step picks the
transport: the signed POST below for a webhook, or the bridge transport that
app/chat_bridges registers (`use_bridge_transport`) for a bridge. Retries, leases, the
log and switching off a receiver that keeps failing are the same for both; a platform's
429 can ask for a later next attempt (`Outcome.retry_after`).

Mail (app/mail) is a third receiver: a delivery naming a `mail_messages` row is sent by the
mail transport app/mail registers (`use_mail_transport`), which renders the message and
hands it to the SMTP server (or writes it to a file). Leases, retries and the attempt log
are the same; a mail has no receiver to switch off, and its context (which may hold a
token) is cleared when the delivery succeeds or fails for good.

A process killed after a commit that wrote a delivery and before sending it loses nothing:
the delivery is pending and unleased, and the next run of any process sends it. A process
killed while sending leaves a lease that expires after the lease time, then the delivery is
sent again: delivery is at least once, and receivers de-duplicate on the payload `id`.

An attempt whose record fails (the database went away after the send) is kept in memory and
recorded by the next run, while the lease is still ours, instead of being sent again when the
lease expires. A graceful shutdown leaves no lease behind: the run in progress ends after its
batch (whose sends are finished and recorded), and whatever this process still holds
unrecorded is handed back, due at once, for another process (`release_held`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
import structlog
from sqlmodel import Session, col

from app.core import periodic
from app.core.clock import utcnow
from app.core.config import Settings, get_settings
from app.core.db import rows_affected
from app.core.domain_events import ChatBridgeDisabled, WebhookDisabled, publish
from app.core.jsonutil import dumps
from app.leases import Leases
from app.models import (
    ChatBridge,
    DeliveryStatus,
    MailMessage,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
)
from app.webhooks import sender

log = structlog.get_logger("sanggar.webhooks")

# The default lease (SANGGAR_WEBHOOK_LEASE_SECONDS): longer than any one send can take
# (connect + read timeouts, capped body), so a lease expires only when its holder died.
LEASE = timedelta(minutes=5)
BATCH = 8  # deliveries claimed, and sent concurrently, at a time
MAX_PER_RUN = 200  # a run stops after this many attempts; the next run goes on

# The deliveries this process claimed and has not recorded every attempt of.
LEASES = Leases(WebhookDelivery)


@dataclass(frozen=True)
class BridgeTarget:
    """A chat bridge's columns the bridge transport needs (its secret still encrypted)."""

    kind: str
    locale: str
    target: dict[str, Any]
    secret_ciphertext: bytes


@dataclass(frozen=True)
class MailTarget:
    """A mail message's columns the mail transport needs."""

    message_id: int
    member_id: int | None
    recipient: str
    template: str
    locale: str
    unsubscribe_kind: str | None
    context: dict[str, Any]


@dataclass(frozen=True)
class Claimed:
    lease_token: str
    delivery_id: int
    delivery_public_id: str  # sent as Sanggar-Delivery
    webhook_id: int | None
    attempt_count: int
    url: str | None
    secret: str | None
    event_public_id: str  # the payload's `id`
    event_type: str
    event_created_at: datetime
    data: dict[str, Any]
    # Set instead of webhook_id (and url, secret) for a chat bridge's delivery.
    chat_bridge_id: int | None = None
    bridge: BridgeTarget | None = None
    # Set instead of the others for a mail's delivery.
    mail: MailTarget | None = None


# Sends a chat bridge's delivery: registered by app/chat_bridges (which this package may
# not import); runs in a worker thread, with no database access.
BridgeTransport = Callable[[Claimed, Settings], "sender.Outcome"]
_bridge_transport: list[BridgeTransport] = []


def use_bridge_transport(transport: BridgeTransport) -> None:
    _bridge_transport[:] = [transport]


# Sends a mail's delivery: registered by app/mail; runs in a worker thread, no database.
MailTransport = Callable[[MailTarget, Settings], "sender.Outcome"]
_mail_transport: list[MailTransport] = []


def use_mail_transport(transport: MailTransport) -> None:
    _mail_transport[:] = [transport]


def body_of(claimed: Claimed) -> bytes:
    """The payload `{id, type, created_at, data}`: the same bytes for every attempt."""
    created_at = claimed.event_created_at.isoformat().replace("+00:00", "Z")
    return dumps(
        {
            "id": claimed.event_public_id,
            "type": claimed.event_type,
            "created_at": created_at,
            "data": claimed.data,
        }
    )


def _table(model: Any) -> sa.Table:
    return cast(sa.Table, model.__table__)


def _receiver_active() -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.exists().where(col(Webhook.id) == col(WebhookDelivery.webhook_id), col(Webhook.active)),
        sa.exists().where(
            col(ChatBridge.id) == col(WebhookDelivery.chat_bridge_id), col(ChatBridge.active)
        ),
        col(WebhookDelivery.mail_message_id).is_not(None),  # a mail is always sent
    )


def _due(now: datetime | sa.BindParameter[datetime]) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(WebhookDelivery.status) == DeliveryStatus.PENDING.value,
        col(WebhookDelivery.next_attempt_at) <= now,
        sa.or_(
            col(WebhookDelivery.leased_until).is_(None), col(WebhookDelivery.leased_until) < now
        ),
    )


# The claim's statements, built once (built per claim, they cost more CPU than running
# them): the time, the limit and the token are bound parameters.
_NOW = sa.bindparam("b_now", type_=_table(WebhookDelivery).c.next_attempt_at.type)
_CLAIM = LEASES.statement(
    sa.select(col(WebhookDelivery.id))
    .where(_due(_NOW), _receiver_active())
    .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
    .limit(sa.bindparam("b_limit", type_=sa.Integer())),
    claimable=_due(_NOW),
)
_CLAIMED_COLUMNS: list[Any] = [
    WebhookDelivery.id,
    WebhookDelivery.public_id,
    WebhookDelivery.webhook_id,
    WebhookDelivery.attempt_count,
    Webhook.url,
    Webhook.secret,
    WebhookEvent.public_id,
    WebhookEvent.type,
    WebhookEvent.created_at,
    WebhookEvent.data,
    WebhookDelivery.chat_bridge_id,
    ChatBridge.kind,
    ChatBridge.locale,
    ChatBridge.target,
    ChatBridge.secret_ciphertext,
    MailMessage.id,
    MailMessage.member_id,
    MailMessage.recipient,
    MailMessage.template,
    MailMessage.locale,
    MailMessage.unsubscribe_kind,
    MailMessage.context,
]
_CLAIMED = (
    sa.select(*_CLAIMED_COLUMNS)
    .outerjoin(Webhook, col(Webhook.id) == col(WebhookDelivery.webhook_id))
    .outerjoin(ChatBridge, col(ChatBridge.id) == col(WebhookDelivery.chat_bridge_id))
    .outerjoin(MailMessage, col(MailMessage.id) == col(WebhookDelivery.mail_message_id))
    .join(WebhookEvent, col(WebhookEvent.id) == col(WebhookDelivery.event_id))
    .where(col(WebhookDelivery.lease_token) == sa.bindparam("b_token"))
    .order_by(col(WebhookDelivery.id))
)


def claim(
    session: Session, *, now: datetime, limit: int = BATCH, lease: timedelta = LEASE
) -> list[Claimed]:
    """Leases up to `limit` due deliveries of active webhooks and chat bridges to this
    caller, reads them and commits (the lease and the read in one transaction)."""
    token = LEASES.claim_with(
        session, _CLAIM, until=now + lease, parameters={"b_now": now, "b_limit": limit}
    )
    rows = session.execute(_CLAIMED, {"b_token": token}).all()
    session.commit()
    if not rows:
        LEASES.let_go(token)
    return [_claimed(token, tuple(row)) for row in rows]


def _claimed(token: str, row: tuple[Any, ...]) -> Claimed:
    (delivery_id, public_id, webhook_id, attempts, url, secret) = row[:6]
    (event_public_id, event_type, event_created_at, data) = row[6:10]
    bridge_id, kind, locale, target, ciphertext = row[10:15]
    bridge = None if bridge_id is None else BridgeTarget(kind, locale, target, ciphertext)
    message_id, member_id, recipient, template, mail_locale, unsubscribe, context = row[15:]
    mail = (
        None
        if message_id is None
        else MailTarget(
            message_id, member_id, recipient, template, mail_locale, unsubscribe, context or {}
        )
    )
    return Claimed(
        token,
        delivery_id,
        public_id,
        webhook_id,
        attempts,
        url,
        secret,
        event_public_id,
        event_type,
        event_created_at,
        data,
        chat_bridge_id=bridge_id,
        bridge=bridge,
        mail=mail,
    )


def release_held(session: Session) -> int:
    """Hands back the pending deliveries this process still holds a lease on: unleased (they
    were due when claimed), so another process sends them at once. Returns how many. The
    caller commits."""
    count = LEASES.release_held(
        session, col(WebhookDelivery.status) == DeliveryStatus.PENDING.value
    )
    if count:
        log.info("webhook_leases_released", deliveries=count)
    return count


def attempt(claimed: Claimed, settings: Settings) -> sender.Outcome:
    """Sends one claimed delivery (no database access: runs in a worker thread)."""
    if claimed.chat_bridge_id is not None:
        return _attempt_bridge(claimed, settings)
    if claimed.mail is not None:
        return _attempt_mail(claimed.mail, settings)
    assert claimed.url is not None and claimed.secret is not None
    body = body_of(claimed)
    headers = sender.headers_for(
        secret=claimed.secret,
        body=body,
        event_type=claimed.event_type,
        delivery_id=claimed.delivery_public_id,
        timestamp=int(utcnow().timestamp()),
    )
    try:
        return sender.send(claimed.url, body=body, headers=headers, settings=settings)
    except Exception as error:  # a bad URL must not stall the other deliveries of the batch
        log.exception("webhook_send_failed", delivery_id=claimed.delivery_id)
        return sender.Outcome(None, 0, f"internal error: {type(error).__name__}", "")


def _attempt_bridge(claimed: Claimed, settings: Settings) -> sender.Outcome:
    if not _bridge_transport:
        return sender.Outcome(None, 0, "internal error: no chat bridge transport", "")
    try:
        return _bridge_transport[0](claimed, settings)
    except Exception as error:
        log.exception("chat_bridge_send_failed", delivery_id=claimed.delivery_id)
        return sender.Outcome(None, 0, f"internal error: {type(error).__name__}", "")


def _attempt_mail(mail: MailTarget, settings: Settings) -> sender.Outcome:
    if not _mail_transport:
        return sender.Outcome(None, 0, "internal error: no mail transport", "")
    try:
        return _mail_transport[0](mail, settings)
    except Exception as error:
        log.exception("mail_send_failed", mail_message_id=mail.message_id)
        return sender.Outcome(None, 0, f"internal error: {type(error).__name__}", "")


def retry_delay(settings: Settings, attempts_made: int) -> timedelta:
    """base × 2^(n-1) after the n-th failed attempt: 30 s, 1 min, 2 min, … by default."""
    return timedelta(seconds=settings.webhook_retry_base_seconds * 2 ** (attempts_made - 1))


_ATTEMPTS = _table(WebhookAttempt)
_DELIVERIES = _table(WebhookDelivery)
_MESSAGES = _table(MailMessage)

# record()'s statements, Core and built once (each attempt's values are bound parameters):
# compiled once per connection's cache and run with no ORM flush or synchronisation.
_INSERT_ATTEMPT = _ATTEMPTS.insert()
_NEXT_STATE = (
    _DELIVERIES.update()
    .where(
        _DELIVERIES.c.id == sa.bindparam("b_delivery_id"),
        _DELIVERIES.c.lease_token == sa.bindparam("b_lease_token"),
    )
    .values(
        attempt_count=_DELIVERIES.c.attempt_count + 1,
        status=sa.bindparam("b_status", type_=_DELIVERIES.c.status.type),
        next_attempt_at=sa.bindparam("b_next_at", type_=_DELIVERIES.c.next_attempt_at.type),
        finished_at=sa.bindparam("b_finished", type_=_DELIVERIES.c.finished_at.type),
        leased_until=None,
        lease_token=None,
    )
)
_SCRUB_MAILS = (
    _MESSAGES.update()
    .where(_MESSAGES.c.id.in_(sa.bindparam("b_message_ids", expanding=True)))
    .values(context=None, scrubbed_at=sa.bindparam("b_at", type_=_MESSAGES.c.scrubbed_at.type))
)


def _failures_reset(receiver: type[Webhook] | type[ChatBridge]) -> sa.Update:
    table = _table(receiver)
    return (
        table.update()
        .where(table.c.id == sa.bindparam("b_receiver_id"), table.c.consecutive_failures > 0)
        .values(consecutive_failures=0)
    )


_RESET_FAILURES = {Webhook: _failures_reset(Webhook), ChatBridge: _failures_reset(ChatBridge)}


def _next_state(
    settings: Settings, claimed: Claimed, outcome: sender.Outcome, now: datetime
) -> tuple[DeliveryStatus, datetime | None, datetime | None]:
    """The delivery's status, next attempt and end after this attempt."""
    made = claimed.attempt_count + 1
    if outcome.succeeded:
        return DeliveryStatus.SUCCEEDED, None, now
    if made >= settings.webhook_max_attempts:
        return DeliveryStatus.FAILED, None, now
    delay = retry_delay(settings, made)
    if outcome.retry_after is not None:  # the receiver said when (a platform's 429)
        delay = max(delay, timedelta(seconds=outcome.retry_after))
    return DeliveryStatus.PENDING, now + delay, None


def record(
    session: Session,
    settings: Settings,
    *,
    claimed: Claimed,
    outcome: sender.Outcome,
    at: datetime,
) -> str | None:
    """Writes the attempt and the delivery's next state; returns that state (None when the
    lease was lost: the attempt is logged, the state left to the new holder). The caller
    commits."""
    return record_batch(session, settings, [(claimed, outcome, at)])[0]


def record_batch(session: Session, settings: Settings, sent: list[Sent]) -> list[str | None]:
    """`record` for each attempt of a batch: their rows in one INSERT, each delivery's
    state by its own lease-guarded UPDATE, the mails done with scrubbed in one UPDATE.
    Returns each delivery's state, in order. The caller commits."""
    connection = session.connection()
    # First, as the ORM's flush did: a delivery deleted meanwhile (its webhook deleted)
    # fails here with an IntegrityError.
    connection.execute(
        _INSERT_ATTEMPT,
        [
            {
                "delivery_id": claimed.delivery_id,
                "at": at,
                "status_code": outcome.status_code,
                "duration_ms": outcome.duration_ms,
                "error": outcome.error,
                "response_body": outcome.response_body,
            }
            for claimed, outcome, at in sent
        ],
    )
    now = utcnow()
    states: list[str | None] = []
    scrubbed: list[int] = []
    for claimed, outcome, _ in sent:
        status, next_at, finished = _next_state(settings, claimed, outcome, now)
        updated = connection.execute(
            _NEXT_STATE,
            {
                "b_delivery_id": claimed.delivery_id,
                "b_lease_token": claimed.lease_token,
                "b_status": status.value,
                "b_next_at": next_at,
                "b_finished": finished,
            },
        )
        if rows_affected(updated) != 1:
            states.append(None)
            continue
        states.append(status.value)
        if claimed.mail is not None:
            if status is not DeliveryStatus.PENDING:  # sent or given up: the token goes
                scrubbed.append(claimed.mail.message_id)
        elif status is DeliveryStatus.SUCCEEDED:
            receiver, receiver_id = _receiver(claimed)
            connection.execute(_RESET_FAILURES[receiver], {"b_receiver_id": receiver_id})
        elif status is DeliveryStatus.FAILED:
            _count_failure(session, settings, claimed=claimed)
    if scrubbed:
        connection.execute(_SCRUB_MAILS, {"b_message_ids": scrubbed, "b_at": now})
    return states


def _receiver(claimed: Claimed) -> tuple[type[Webhook] | type[ChatBridge], int]:
    """The table and id of the delivery's receiver: a webhook or a chat bridge."""
    if claimed.chat_bridge_id is not None:
        return ChatBridge, claimed.chat_bridge_id
    assert claimed.webhook_id is not None
    return Webhook, claimed.webhook_id


def _count_failure(session: Session, settings: Settings, *, claimed: Claimed) -> None:
    """One more failed delivery in a row; at the threshold the webhook (or chat bridge) is
    disabled, once, and the admins are told."""
    receiver, receiver_id = _receiver(claimed)
    session.execute(
        sa.update(receiver)
        .where(col(receiver.id) == receiver_id)
        .values(consecutive_failures=receiver.consecutive_failures + 1)
    )
    threshold = settings.webhook_disable_after_failures
    reason = f"{threshold} deliveries in a row failed after every retry."
    disabled = session.execute(
        sa.update(receiver)
        .where(
            col(receiver.id) == receiver_id,
            col(receiver.active),
            col(receiver.consecutive_failures) >= threshold,
        )
        .values(active=False, disabled_reason=reason, updated_at=utcnow())
    )
    if rows_affected(disabled) != 1:
        return
    if receiver is ChatBridge:
        log.warning("chat_bridge_disabled", chat_bridge_id=receiver_id)
        publish(session, ChatBridgeDisabled(chat_bridge_id=receiver_id, reason=reason))
    else:
        log.warning("webhook_disabled", webhook_id=receiver_id, url=claimed.url)
        publish(session, WebhookDisabled(webhook_id=receiver_id, reason=reason))


def dispatch(session: Session, settings: Settings, *, max_attempts: int = MAX_PER_RUN) -> int:
    """Claims, sends and records due deliveries until none is due; returns attempts made.

    Unlike a service this commits, several times: a claim must be committed before its
    sends, and each batch's attempts are recorded in a transaction after them.
    """
    made = record_unrecorded(session, settings)
    lease = timedelta(seconds=settings.webhook_lease_seconds)
    with ThreadPoolExecutor(max_workers=BATCH, thread_name_prefix="webhook-send") as pool:
        while made < max_attempts and not periodic.stopping():
            limit = min(BATCH, max_attempts - made)
            batch = claim(session, now=utcnow(), limit=limit, lease=lease)
            if not batch:
                break
            at = utcnow()
            outcomes = list(pool.map(lambda c: attempt(c, settings), batch))
            _record_all(
                session, settings, [(c, o, at) for c, o in zip(batch, outcomes, strict=True)]
            )
            made += len(batch)
    return made


Sent = tuple[Claimed, sender.Outcome, datetime]
# Attempts made whose record failed (the database went away after the send): recorded by
# the next run, while we still hold their lease, instead of being sent again after it.
_unrecorded: list[Sent] = []
_unrecorded_lock = threading.Lock()


def _record_all(session: Session, settings: Settings, sent: list[Sent]) -> None:
    """Records a batch's attempts in one transaction (a commit, an INSERT and a mail's
    scrub per attempt cost a mail more CPU than its other statements). A receiver deleted
    while we sent fails that transaction: the attempts are then recorded one transaction
    each, the deleted one's skipped. When the database fails, the attempts are kept for the
    next run (and the error raised, to be logged); a process that dies first has them sent
    again when their lease ends, as one killed while sending does."""
    try:
        record_batch(session, settings, sent)
        session.commit()
    except sa.exc.IntegrityError:  # a webhook deleted while we sent
        session.rollback()
        _record_each(session, settings, sent)
    except sa.exc.DBAPIError:
        with _unrecorded_lock:
            _unrecorded.extend(sent)
        session.rollback()
        raise
    for token in {claimed.lease_token for claimed, _, _ in sent}:
        LEASES.let_go(token)  # every one recorded


def _record_each(session: Session, settings: Settings, sent: list[Sent]) -> None:
    for index, (claimed, outcome, at) in enumerate(sent):
        try:
            record(session, settings, claimed=claimed, outcome=outcome, at=at)
            session.commit()
        except sa.exc.IntegrityError:  # the webhook was deleted while we sent
            session.rollback()
            log.info("webhook_deleted_while_sending", delivery_id=claimed.delivery_id)
        except sa.exc.DBAPIError:
            with _unrecorded_lock:
                _unrecorded.extend(sent[index:])
            session.rollback()
            raise


def record_unrecorded(session: Session, settings: Settings) -> int:
    """Records the attempts a failed database kept us from recording; returns how many."""
    with _unrecorded_lock:
        pending, _unrecorded[:] = list(_unrecorded), []
    if pending:
        log.info("webhook_attempts_recorded_late", attempts=len(pending))
        _record_all(session, settings, pending)
    return len(pending)


def _release_at_shutdown(session: Session) -> None:
    # What was sent is recorded first if the database is back: handed back unrecorded, it
    # would be sent again.
    record_unrecorded(session, get_settings())
    release_held(session)


@periodic.job(
    "webhook_deliveries",
    every=lambda settings: settings.webhook_dispatch_seconds,
    release=_release_at_shutdown,
)
def dispatch_due(session: Session) -> None:
    # A served process's settings are get_settings() (app.main builds the app from them).
    dispatch(session, get_settings())
