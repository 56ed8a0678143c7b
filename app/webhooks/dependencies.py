"""Load-or-404 for the webhook (and delivery) in the path; every route is for admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.db import SessionDep
from app.core.openapi import declares
from app.core.types import IdPath
from app.models import Webhook, WebhookDelivery
from app.principal.dependencies import AdminMember
from app.webhooks import service


@declares(404)
def webhook_for_reading(session: SessionDep, _admin: AdminMember, webhook_id: IdPath) -> Webhook:
    return service.get_webhook(session, webhook_id=webhook_id)


@declares(404)
def webhook_for_writing(session: SessionDep, _admin: AdminMember, webhook_id: IdPath) -> Webhook:
    """Locked (PostgreSQL): concurrent edits of one webhook are decided one at a time."""
    return service.get_webhook(session, webhook_id=webhook_id, lock=True)


@declares(404)
def delivery_of_webhook(
    session: SessionDep,
    webhook: Annotated[Webhook, Depends(webhook_for_reading)],
    delivery_id: IdPath,
) -> WebhookDelivery:
    return service.get_delivery(session, webhook=webhook, delivery_id=delivery_id)


WebhookDep = Annotated[Webhook, Depends(webhook_for_reading)]
LockedWebhookDep = Annotated[Webhook, Depends(webhook_for_writing)]
DeliveryDep = Annotated[WebhookDelivery, Depends(delivery_of_webhook)]
