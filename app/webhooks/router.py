from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from app.core.db import SessionDep
from app.core.deps import SettingsDep
from app.core.http import (
    CONDITIONAL_GET_RESPONSES,
    CONDITIONAL_WRITE_RESPONSES,
    json_response,
    require_current,
)
from app.core.openapi import problems
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.outbox import service as receivers
from app.outbox.schemas import DeliveryFilters
from app.principal.dependencies import AdminMember, CreationDep
from app.webhooks import service
from app.webhooks.dependencies import DeliveryDep, LockedWebhookDep, WebhookDep
from app.webhooks.schemas import (
    DeliveryPage,
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookPage,
    WebhookPublic,
    WebhookUpdate,
)

router = ResourceRouter(prefix="/webhooks", tags=["webhooks"])


def _location(webhook_id: int | None, delivery_id: int | None) -> str:
    return f"/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}"


@router.post(
    "",
    status_code=201,
    response_model=WebhookCreated,
    summary="Register a webhook",
    responses=problems(422),
)
def webhooks_create(
    session: SessionDep,
    settings: SettingsDep,
    admin: AdminMember,
    data: WebhookCreate,
    creation: CreationDep,
) -> Response:
    """Admins register a public URL for event types; the signing `secret` is returned only
    here. URLs that resolve to private, loopback or link-local addresses are refused (422)."""
    webhook, secret = service.create_webhook(session, settings, creator=admin, data=data)
    public = service.present_webhooks(session, [webhook])[0]
    created = WebhookCreated.model_validate({**public.model_dump(), "secret": secret})
    return creation.created(created, location=f"/api/v1/webhooks/{webhook.id}")


@router.get("", response_model=WebhookPage, summary="List webhooks")
def webhooks_list(session: SessionDep, _admin: AdminMember, page: PageParamsDep) -> WebhookPage:
    """Every webhook, newest first (never their secrets)."""
    webhooks, next_cursor = service.list_webhooks(session, params=page)
    return WebhookPage(items=service.present_webhooks(session, webhooks), next_cursor=next_cursor)


@router.get(
    "/{webhook_id}",
    response_model=WebhookPublic,
    summary="Get a webhook",
    responses=CONDITIONAL_GET_RESPONSES,
)
def webhooks_get(request: Request, session: SessionDep, webhook: WebhookDep) -> Response:
    """One webhook, with why it was disabled if it was."""
    return json_response(request, service.present_webhooks(session, [webhook])[0])


@router.patch(
    "/{webhook_id}",
    response_model=WebhookPublic,
    summary="Update a webhook",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(412, 422),
)
def webhooks_update(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    webhook: LockedWebhookDep,
    changes: WebhookUpdate,
    admin: AdminMember,
) -> Response:
    """Change the URL, event types or secret, or (de)activate; send `If-Match`."""
    require_current(request, service.present_webhooks(session, [webhook])[0])
    webhook = service.update_webhook(
        session, settings, webhook=webhook, changes=changes, actor=admin
    )
    return json_response(request, service.present_webhooks(session, [webhook])[0])


@router.delete("/{webhook_id}", status_code=204, summary="Delete a webhook")
def webhooks_delete(session: SessionDep, webhook: LockedWebhookDep, admin: AdminMember) -> Response:
    """The webhook goes with its delivery log; pending deliveries are not sent."""
    service.delete_webhook(session, webhook=webhook, actor=admin)
    return Response(status_code=204)


@router.post(
    "/{webhook_id}/ping",
    status_code=201,
    response_model=DeliveryPublic,
    summary="Send a test event",
    responses=problems(409),
)
def webhooks_ping(session: SessionDep, webhook: WebhookDep, creation: CreationDep) -> Response:
    """Queues a signed `ping` delivery to this webhook alone, sent within seconds; follow
    `Location` to see its attempts. An inactive webhook cannot be pinged (409)."""
    delivery = service.ping(session, webhook=webhook)
    public = service.present_deliveries(session, [delivery])[0]
    return creation.created(public, location=_location(webhook.id, delivery.id))


@router.get("/{webhook_id}/deliveries", response_model=DeliveryPage, summary="List deliveries")
def webhooks_list_deliveries(
    session: SessionDep,
    webhook: WebhookDep,
    page: PageParamsDep,
    filters: Annotated[DeliveryFilters, Query()],
) -> DeliveryPage:
    """The delivery log, newest first, each with its attempts (status code, time taken,
    the start of the response)."""
    return receivers.delivery_log(
        session, DeliveryPage, DeliveryPublic, receiver=webhook, status=filters.status, params=page
    )


@router.get(
    "/{webhook_id}/deliveries/{delivery_id}",
    response_model=DeliveryPublic,
    summary="Get a delivery",
    responses=CONDITIONAL_GET_RESPONSES,
)
def webhooks_get_delivery(request: Request, session: SessionDep, delivery: DeliveryDep) -> Response:
    """One delivery and its attempts."""
    return json_response(request, service.present_deliveries(session, [delivery])[0])


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=201,
    response_model=DeliveryPublic,
    summary="Redeliver an event",
    responses=problems(409),
)
def webhooks_redeliver(
    session: SessionDep, webhook: WebhookDep, delivery: DeliveryDep, creation: CreationDep
) -> Response:
    """Queues a new delivery of the same event (same payload `id`, so receivers can
    de-duplicate), due now; the original keeps its log. 409 when the webhook is inactive."""
    redelivery = service.redeliver(session, webhook=webhook, delivery=delivery)
    public = service.present_deliveries(session, [redelivery])[0]
    return creation.created(public, location=_location(webhook.id, redelivery.id))
