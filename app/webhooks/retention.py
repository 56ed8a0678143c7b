"""How long the delivery log is kept.

A finished delivery (succeeded or failed) is forgotten `SANGGAR_WEBHOOK_RETENTION_DAYS`
after it finished, its attempts with it (ON DELETE CASCADE), a mail's message too, and then
every event that no delivery refers to any more. Pending deliveries are never forgotten,
however old. The deletes walk an index of exactly the rows they remove, so a sweep costs
what it deletes, not what the log holds; running it in several processes at once is
harmless.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from app.core import periodic
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import rows_affected
from app.models import DeliveryStatus, MailMessage, WebhookDelivery, WebhookEvent

SWEEP_SECONDS = 3600.0


def forget_finished(session: Session, *, finished_before: datetime) -> int:
    """Deletes deliveries finished before the moment, and the events left without any;
    returns how many deliveries went."""
    # A mail's message goes with its delivery (the delivery with it: ON DELETE CASCADE), so
    # no recipient address outlives the log.
    mails = session.execute(
        sa.delete(MailMessage).where(
            col(MailMessage.id).in_(
                sa.select(col(WebhookDelivery.mail_message_id)).where(
                    col(WebhookDelivery.status) != DeliveryStatus.PENDING.value,
                    col(WebhookDelivery.finished_at) < finished_before,
                    col(WebhookDelivery.mail_message_id).is_not(None),
                )
            )
        )
    )
    deliveries = session.execute(
        sa.delete(WebhookDelivery).where(
            col(WebhookDelivery.status) != DeliveryStatus.PENDING.value,
            col(WebhookDelivery.finished_at) < finished_before,
        )
    )
    still_delivered = sa.exists().where(col(WebhookDelivery.event_id) == col(WebhookEvent.id))
    session.execute(
        sa.delete(WebhookEvent).where(
            col(WebhookEvent.created_at) < finished_before, ~still_delivered
        )
    )
    return rows_affected(mails) + rows_affected(deliveries)


@periodic.job("webhook_retention", every=lambda _settings: SWEEP_SECONDS)
def retention_job(session: Session) -> None:
    days = get_settings().webhook_retention_days
    forget_finished(session, finished_before=utcnow() - timedelta(days=days))
