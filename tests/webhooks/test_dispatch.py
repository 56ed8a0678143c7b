"""Sending: signed deliveries to a real receiver, retries with back-off, failure, disabling."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.core.config import Settings
from app.models import (
    DeliveryStatus,
    Member,
    Notification,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
)
from app.webhooks import dispatcher, service, signing
from tests.conftest import make_settings
from tests.factories import make_member
from tests.webhooks.conftest import SECRET, Receiver, make_webhook


def dispatch(engine: Engine, settings: Settings) -> int:
    with Session(engine, expire_on_commit=False) as session:
        return dispatcher.dispatch(session, settings)


def event_public_id(engine: Engine, delivery: WebhookDelivery) -> str:
    with Session(engine) as session:
        event = session.get(WebhookEvent, delivery.event_id)
        assert event is not None
        return event.public_id


def deliveries(engine: Engine) -> list[WebhookDelivery]:
    with Session(engine) as session:
        return list(session.exec(select(WebhookDelivery).order_by(col(WebhookDelivery.id))))


def attempts(engine: Engine, delivery_id: int | None) -> list[WebhookAttempt]:
    with Session(engine) as session:
        statement = select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
        return list(session.exec(statement.order_by(col(WebhookAttempt.id))))


def make_due(engine: Engine) -> None:
    """The clock moves past every scheduled retry (no sleeping)."""
    with engine.begin() as connection:
        connection.execute(
            sa.update(WebhookDelivery)
            .where(col(WebhookDelivery.status) == "pending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )


def test_a_delivery_is_signed_and_verifies(
    app: FastAPI, engine: Engine, receiver: Receiver, dispatch_settings: Settings, admin: Member
) -> None:
    make_webhook(app, dispatch_settings, admin, url=receiver.url, events=["member.joined"])
    newcomer = make_member(app, handle="rina", display_name="Rina Wulandari")

    assert dispatch(engine, dispatch_settings) == 1

    [request] = receiver.requests
    delivery = deliveries(engine)[0]
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "Sanggar-Webhooks/1"
    assert request.headers["Sanggar-Event"] == "member.joined"
    assert request.headers["Sanggar-Delivery"] == delivery.public_id
    assert signing.verify(SECRET, request.headers["Sanggar-Signature"], request.body)
    assert not signing.verify(
        "another-secret-entirely", request.headers["Sanggar-Signature"], request.body
    )
    payload = json.loads(request.body)
    assert payload["id"] == event_public_id(engine, delivery)
    assert payload["type"] == "member.joined"
    assert payload["created_at"].endswith("Z")
    assert payload["data"]["member_id"] == newcomer.id
    assert payload["data"]["handle"] == "rina"
    assert delivery.status == DeliveryStatus.SUCCEEDED
    [attempt] = attempts(engine, delivery.id)
    assert attempt.status_code == 200 and attempt.response_body == "status 200"


def test_a_signature_outside_the_replay_window_is_refused() -> None:
    body = b'{"id":1}'
    header = signing.signature(SECRET, 1_700_000_000, body)
    assert signing.verify(SECRET, header, body, now=1_700_000_000 + 299)
    assert not signing.verify(SECRET, header, body, now=1_700_000_000 + 301)
    assert not signing.verify(SECRET, header, body + b" ", now=1_700_000_000)
    assert not signing.verify(SECRET, "garbage", body)


def test_a_500_is_retried_after_the_base_delay_and_both_attempts_are_logged(
    app: FastAPI, engine: Engine, receiver: Receiver, dispatch_settings: Settings, admin: Member
) -> None:
    make_webhook(app, dispatch_settings, admin, url=receiver.url, events=["member.joined"])
    make_member(app)
    receiver.statuses = [500]

    before = utcnow()
    dispatch(engine, dispatch_settings)
    [delivery] = deliveries(engine)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempt_count == 1
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at >= before + timedelta(seconds=30)
    assert delivery.leased_until is None
    assert dispatch(engine, dispatch_settings) == 0  # not due yet

    make_due(engine)
    assert dispatch(engine, dispatch_settings) == 1

    [delivery] = deliveries(engine)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempt_count == 2
    assert [a.status_code for a in attempts(engine, delivery.id)] == [500, 200]
    first, second = receiver.requests
    assert first.body == second.body  # the same event, the same bytes
    assert json.loads(first.body)["id"] == event_public_id(engine, delivery)


def test_the_back_off_doubles(dispatch_settings: Settings) -> None:
    delays = [dispatcher.retry_delay(dispatch_settings, n).total_seconds() for n in (1, 2, 3, 11)]
    assert delays == [30, 60, 120, 30 * 2**10]


def test_after_the_last_attempt_a_delivery_fails_and_persistent_failure_disables_the_webhook(
    app: FastAPI, engine: Engine, receiver: Receiver, database_url: str, admin: Member
) -> None:
    settings = make_settings(
        database_url,
        webhooks_allow_private=True,
        webhook_max_attempts=2,
        webhook_disable_after_failures=2,
    )
    webhook = make_webhook(app, settings, admin, url=receiver.url, events=["member.joined"])
    make_member(app)
    make_member(app)
    receiver.statuses = [500] * 4

    dispatch(engine, settings)
    make_due(engine)
    dispatch(engine, settings)

    assert [d.status for d in deliveries(engine)] == ["failed", "failed"]
    assert all(d.next_attempt_at is None and d.finished_at for d in deliveries(engine))
    with Session(engine) as session:
        stored = session.get(Webhook, webhook.id)
        assert stored is not None
        assert not stored.active and stored.consecutive_failures == 2
        assert stored.disabled_reason and "in a row failed" in stored.disabled_reason
        notices = session.exec(
            select(Notification).where(Notification.type == "webhook.disabled")
        ).all()
    assert [n.member_id for n in notices] == [admin.id]
    assert len(receiver.requests) == 4

    make_member(app)  # an inactive webhook gets no new deliveries
    assert len(deliveries(engine)) == 2


def test_a_success_resets_the_failure_count(
    app: FastAPI, engine: Engine, receiver: Receiver, database_url: str, admin: Member
) -> None:
    settings = make_settings(database_url, webhooks_allow_private=True, webhook_max_attempts=1)
    webhook = make_webhook(app, settings, admin, url=receiver.url, events=["member.joined"])
    make_member(app)
    receiver.statuses = [500]
    dispatch(engine, settings)
    with Session(engine) as session:
        assert session.get(Webhook, webhook.id).consecutive_failures == 1  # type: ignore[union-attr]
    make_member(app)
    dispatch(engine, settings)
    with Session(engine) as session:
        assert session.get(Webhook, webhook.id).consecutive_failures == 0  # type: ignore[union-attr]


def test_redirects_are_not_followed(
    app: FastAPI, engine: Engine, receiver: Receiver, dispatch_settings: Settings, admin: Member
) -> None:
    make_webhook(app, dispatch_settings, admin, url=receiver.url, events=["member.joined"])
    make_member(app)
    receiver.statuses = [302]

    dispatch(engine, dispatch_settings)

    [delivery] = deliveries(engine)
    [attempt] = attempts(engine, delivery.id)
    assert attempt.status_code == 302 and attempt.error == "redirect not followed"
    assert delivery.status == DeliveryStatus.PENDING
    assert [r.path for r in receiver.requests] == ["/hook"]


def test_the_response_body_is_kept_up_to_the_cap(
    app: FastAPI, engine: Engine, receiver: Receiver, dispatch_settings: Settings, admin: Member
) -> None:
    make_webhook(app, dispatch_settings, admin, url=receiver.url, events=["member.joined"])
    make_member(app)
    receiver.reply = b"\x00" + b"x" * 100_000

    dispatch(engine, dispatch_settings)

    [attempt] = attempts(engine, deliveries(engine)[0].id)
    assert len(attempt.response_body) == 4096
    assert attempt.response_body.startswith("\ufffdxxx")


def test_an_unreachable_receiver_is_an_attempt_without_status(
    app: FastAPI, engine: Engine, dispatch_settings: Settings, admin: Member
) -> None:
    make_webhook(app, dispatch_settings, admin, url="http://127.0.0.1:9/", events=["member.joined"])
    make_member(app)

    dispatch(engine, dispatch_settings)

    [delivery] = deliveries(engine)
    [attempt] = attempts(engine, delivery.id)
    assert attempt.status_code is None and attempt.error
    assert delivery.status == DeliveryStatus.PENDING


def test_a_redelivery_sends_the_same_event_id_again(
    app: FastAPI, engine: Engine, receiver: Receiver, dispatch_settings: Settings, admin: Member
) -> None:
    webhook = make_webhook(
        app, dispatch_settings, admin, url=receiver.url, events=["member.joined"]
    )
    make_member(app)
    dispatch(engine, dispatch_settings)
    with Session(engine, expire_on_commit=False) as session:
        original = session.exec(select(WebhookDelivery)).one()
        stored = service.get_webhook(session, webhook_id=webhook.id)  # type: ignore[arg-type]
        again = service.redeliver(session, webhook=stored, delivery=original)
        session.commit()

    dispatch(engine, dispatch_settings)

    first, second = receiver.requests
    event_id = event_public_id(engine, original)
    assert json.loads(first.body)["id"] == json.loads(second.body)["id"] == event_id
    assert first.headers["Sanggar-Delivery"] == original.public_id
    assert second.headers["Sanggar-Delivery"] == again.public_id != original.public_id
    assert [d.status for d in deliveries(engine)] == ["succeeded", "succeeded"]


@pytest.fixture
def a_due_delivery(
    app: FastAPI, receiver: Receiver, dispatch_settings: Settings, admin: Member
) -> None:
    """A webhook on `member.joined`, and a member joined: one delivery due at once."""
    make_webhook(app, dispatch_settings, admin, url=receiver.url, events=["member.joined"])
    make_member(app)


@pytest.mark.usefixtures("a_due_delivery")
def test_a_claim_whose_read_fails_leaves_nothing_leased(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lease and the read of what it leased are one transaction: a database lost after
    the lease's UPDATE leaves the deliveries claimable at once. Committed apart, they stayed
    leased, unsent, until the lease ran out (a database restart lost a batch that way)."""
    execute = Session.execute
    statements = 0

    def lost_after_the_lease(self: Session, *args: Any, **kwargs: Any) -> Any:
        nonlocal statements
        statements += 1
        if statements == 2:  # the read of the leased deliveries
            raise sa.exc.OperationalError("SELECT …", {}, Exception("server closed the connection"))
        return execute(self, *args, **kwargs)

    now = utcnow()
    with Session(engine) as session:
        monkeypatch.setattr(Session, "execute", lost_after_the_lease)
        with pytest.raises(sa.exc.OperationalError):
            dispatcher.claim(session, now=now)
        monkeypatch.undo()
        session.rollback()
    with Session(engine) as session:
        assert len(dispatcher.claim(session, now=now)) == 1


@pytest.mark.usefixtures("a_due_delivery")
def test_a_lease_held_by_a_live_dispatcher_is_not_claimed_again(
    engine: Engine, dispatch_settings: Settings
) -> None:
    now = utcnow()
    with Session(engine) as session:
        [claimed] = dispatcher.claim(session, now=now)
        assert dispatcher.claim(session, now=now) == []
        # A dispatcher that died holding the lease: it expires, and another one sends.
        assert len(dispatcher.claim(session, now=now + dispatcher.LEASE * 2)) == 1
        outcome = dispatcher.attempt(claimed, dispatch_settings)
        # The first holder lost its lease: its attempt is logged, the state is not its to set.
        assert (
            dispatcher.record(session, dispatch_settings, claimed=claimed, outcome=outcome, at=now)
            is None
        )
        session.commit()
    [delivery] = deliveries(engine)
    assert delivery.status == DeliveryStatus.PENDING and delivery.lease_token is not None
    assert len(attempts(engine, delivery.id)) == 1


def test_a_batch_is_claimed_in_one_transaction_and_recorded_in_one(
    app: FastAPI, engine: Engine, receiver: Receiver, dispatch_settings: Settings, admin: Member
) -> None:
    """Three deliveries, one batch: its claim and read, then its three attempts' records,
    each one commit (a commit per attempt cost a mail more CPU than its statements), the
    attempts' rows one INSERT; the last claim finds nothing."""
    make_webhook(app, dispatch_settings, admin, url=receiver.url, events=["member.joined"])
    for _ in range(3):
        make_member(app)
    commits = 0
    inserts: list[str] = []

    def counted(_connection: object) -> None:
        nonlocal commits
        commits += 1

    def statement(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        if sql.lstrip().upper().startswith("INSERT INTO WEBHOOK_ATTEMPTS"):
            inserts.append(sql)

    sa.event.listen(engine, "commit", counted)
    sa.event.listen(engine, "before_cursor_execute", statement)
    try:
        assert dispatch(engine, dispatch_settings) == 3
    finally:
        sa.event.remove(engine, "commit", counted)
        sa.event.remove(engine, "before_cursor_execute", statement)
    assert commits == 3  # claim, record, the empty claim
    assert len(inserts) == 1  # the three attempts' rows in one statement
    assert [d.status for d in deliveries(engine)] == ["succeeded"] * 3
    assert all(len(attempts(engine, d.id)) == 1 for d in deliveries(engine))


def test_a_webhook_deleted_while_sending_does_not_stop_the_dispatcher(
    app: FastAPI,
    engine: Engine,
    receiver: Receiver,
    dispatch_settings: Settings,
    admin: Member,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doomed = make_webhook(app, dispatch_settings, admin, url=receiver.url, events=["member.joined"])
    kept = make_webhook(app, dispatch_settings, admin, url=receiver.url, events=["member.joined"])
    make_member(app)
    send = dispatcher.attempt

    def delete_then_send(claimed: dispatcher.Claimed, settings: Settings) -> Any:
        if claimed.webhook_id == doomed.id:
            with Session(engine) as other:
                other.execute(sa.delete(Webhook).where(col(Webhook.id) == doomed.id))
                other.commit()
        return send(claimed, settings)

    monkeypatch.setattr(dispatcher, "attempt", delete_then_send)

    assert dispatch(engine, dispatch_settings) == 2

    [delivery] = deliveries(engine)
    assert delivery.webhook_id == kept.id and delivery.status == DeliveryStatus.SUCCEEDED


def test_a_response_dribbled_past_the_deadline_is_cut_short(
    app: FastAPI, engine: Engine, receiver: Receiver, database_url: str, admin: Member
) -> None:
    settings = make_settings(
        database_url,
        webhooks_allow_private=True,
        webhook_connect_timeout_seconds=0.1,
        webhook_read_timeout_seconds=0.5,
    )
    make_webhook(app, settings, admin, url=receiver.url, events=["member.joined"])
    make_member(app)
    receiver.reply, receiver.dribble_seconds = b"x" * 60, 0.1  # 6 s for the whole body

    dispatch(engine, settings)

    [attempt] = attempts(engine, deliveries(engine)[0].id)
    assert attempt.status_code == 200 and attempt.error == "response body too slow"
    assert 0 < len(attempt.response_body) < 60


def _forget_webhook_events_as_a_restore_would(engine: Engine) -> None:
    """The events and deliveries written since a backup are gone, and their integer ids
    are issued again: what restoring that backup does."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                sa.text("TRUNCATE webhook_events, webhook_deliveries RESTART IDENTITY CASCADE")
            )
            return
        for table in ("webhook_attempts", "webhook_deliveries", "webhook_events"):
            connection.execute(sa.text(f"DELETE FROM {table}"))
            connection.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table})


def test_ids_a_receiver_sees_are_never_reused_after_a_restore(
    app: FastAPI, engine: Engine, receiver: Receiver, dispatch_settings: Settings, admin: Member
) -> None:
    """A receiver de-duplicating on the payload's `id` (or on Sanggar-Delivery) must not
    drop an event because a restored database issued its integer ids again."""
    make_webhook(app, dispatch_settings, admin, url=receiver.url, events=["member.joined"])
    make_member(app, handle="before")
    dispatch(engine, dispatch_settings)
    [sent_before] = deliveries(engine)
    _forget_webhook_events_as_a_restore_would(engine)
    make_member(app, handle="after")
    dispatch(engine, dispatch_settings)
    [sent_after] = deliveries(engine)

    assert sent_after.id == sent_before.id  # the integer id came back
    first, second = receiver.requests
    assert json.loads(first.body)["data"]["handle"] == "before"
    assert json.loads(second.body)["data"]["handle"] == "after"
    assert json.loads(first.body)["id"] != json.loads(second.body)["id"]
    assert first.headers["Sanggar-Delivery"] != second.headers["Sanggar-Delivery"]


def test_an_attempt_the_database_failed_to_record_is_recorded_later_not_sent_again(
    app: FastAPI,
    engine: Engine,
    receiver: Receiver,
    dispatch_settings: Settings,
    admin: Member,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database restarts between a send and its record: the next run records it while
    the lease is still ours, instead of the delivery going out again when the lease ends."""
    make_webhook(app, dispatch_settings, admin, url=receiver.url, events=["member.joined"])
    make_member(app)
    real_record = dispatcher.record_batch

    def database_gone(*_args: object, **_kwargs: object) -> None:
        raise sa.exc.OperationalError("UPDATE webhook_deliveries", {}, Exception("gone"))

    monkeypatch.setattr(dispatcher, "record_batch", database_gone)
    with pytest.raises(sa.exc.OperationalError):
        dispatch(engine, dispatch_settings)
    assert len(receiver.requests) == 1
    monkeypatch.setattr(dispatcher, "record_batch", real_record)

    dispatch(engine, dispatch_settings)  # the database is back

    [delivery] = deliveries(engine)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempt_count == 1
    with Session(engine) as session:
        assert dispatcher.claim(session, now=utcnow() + dispatcher.LEASE * 2) == []
    assert len(receiver.requests) == 1
