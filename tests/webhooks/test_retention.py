"""Retention: finished deliveries older than the setting go with their attempts and the
events nothing refers to any more; pending and recent ones stay."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.models import DeliveryStatus, Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent
from app.webhooks import retention

DAY = timedelta(days=1)


def _delivery(
    session: Session, webhook: Webhook, event: WebhookEvent, status: DeliveryStatus, at: datetime
) -> WebhookDelivery:
    finished = None if status is DeliveryStatus.PENDING else at
    delivery = WebhookDelivery(
        webhook_id=webhook.id or 0,
        event_id=event.id or 0,
        status=status.value,
        attempt_count=1,
        created_at=at,
        finished_at=finished,
    )
    session.add(delivery)
    session.flush()
    session.add(WebhookAttempt(delivery_id=delivery.id or 0, at=at, status_code=500, duration_ms=3))
    return delivery


def _event(session: Session, at: datetime) -> WebhookEvent:
    event = WebhookEvent(type="member.joined", data={"member_id": 1}, created_at=at)
    session.add(event)
    session.flush()
    return event


def test_old_finished_deliveries_go_pending_and_recent_ones_stay(engine: Engine) -> None:
    now = utcnow()
    old, recent = now - 40 * DAY, now - 2 * DAY
    with Session(engine, expire_on_commit=False) as session:
        hook = Webhook(url="https://hooks.example.org/in", secret="s" * 32)
        session.add(hook)
        session.flush()
        forgotten_event, shared_event, recent_event = (
            _event(session, old),
            _event(session, old),
            _event(session, recent),
        )
        gone = [
            _delivery(session, hook, forgotten_event, DeliveryStatus.SUCCEEDED, old),
            _delivery(session, hook, shared_event, DeliveryStatus.FAILED, old),
        ]
        kept = [
            # Never sent successfully and still retrying: however old, it stays.
            _delivery(session, hook, shared_event, DeliveryStatus.PENDING, old),
            _delivery(session, hook, recent_event, DeliveryStatus.SUCCEEDED, recent),
        ]
        session.commit()

    with Session(engine) as session:
        assert retention.forget_finished(session, finished_before=now - 30 * DAY) == 2
        session.commit()

    with Session(engine) as session:
        deliveries = session.exec(select(WebhookDelivery.id).order_by(col(WebhookDelivery.id)))
        assert list(deliveries) == [d.id for d in kept]
        attempts = session.exec(select(WebhookAttempt.delivery_id))
        assert sorted(attempts) == sorted(d.id or 0 for d in kept)  # gone with their deliveries
        events = session.exec(select(WebhookEvent.id).order_by(col(WebhookEvent.id)))
        # The old event with a pending delivery stays; the one nothing refers to goes.
        assert list(events) == [shared_event.id, recent_event.id]
        assert not [d for d in gone if session.get(WebhookDelivery, d.id) is not None]


def test_a_second_sweep_finds_nothing_more(engine: Engine) -> None:
    with Session(engine) as session:
        assert retention.forget_finished(session, finished_before=utcnow()) == 0
