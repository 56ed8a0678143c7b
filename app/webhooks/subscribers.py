"""Domain events become webhook deliveries, in the transaction of the change that caused them.

For an event type some active webhook subscribes to, one `webhook_events` row (the payload)
and one `webhook_deliveries` row per subscribed webhook (one INSERT … SELECT, however many
webhooks there are) are written on the caller's session: they are committed exactly when
the change is. Nothing is sent here; the dispatcher sends what is due (app/webhooks/dispatcher).
A type nobody subscribes to costs one indexed query.

`WebhookDisabled` (published by the dispatcher) notifies the admins. Which domain event is
which webhook type is `app.webhooks.payloads.PAYLOADS`.
"""

from __future__ import annotations

from sqlmodel import Session

from app.core.domain_events import DomainEvent, WebhookDisabled, subscribe
from app.i18n import N_
from app.models import Role, Webhook
from app.notifications import service as notifications
from app.webhooks import service
from app.webhooks.payloads import BY_EVENT


@subscribe(*BY_EVENT)
def record_deliveries(session: Session, event: DomainEvent) -> None:
    payload = BY_EVENT[type(event)]
    if not service.has_subscribers(session, event_type=payload.name):
        return
    data = payload.build(session, event)
    if data is None:  # the resource is gone already: there is nothing to tell
        return
    service.enqueue(session, event_type=payload.name, data=data.model_dump(mode="json"))


@subscribe(WebhookDisabled)
def notify_admins_of_disabled_webhook(session: Session, event: WebhookDisabled) -> None:
    """Every admin hears that an integration stopped receiving events, and why."""
    webhook = session.get(Webhook, event.webhook_id)
    url = webhook.url if webhook is not None else f"webhook {event.webhook_id}"
    notifications.notify_role(
        session,
        roles=[Role.ADMIN],
        type="webhook.disabled",
        title=N_("A webhook was disabled: it keeps failing"),
        body=N_("{url}: {reason} Fix the receiver, then set it active again."),
        values={"url": url, "reason": event.reason},
        webhook_id=event.webhook_id,
    )
