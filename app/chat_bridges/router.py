from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from app.chat_bridges import service
from app.chat_bridges.dependencies import ChatBridgeDep, LockedChatBridgeDep
from app.chat_bridges.schemas import (
    ChatBridgeCreate,
    ChatBridgeDeliveryPage,
    ChatBridgeDeliveryPublic,
    ChatBridgePage,
    ChatBridgePublic,
    ChatBridgeUpdate,
)
from app.core.db import SessionDep
from app.core.deps import SettingsDep
from app.core.http import (
    CONDITIONAL_GET_RESPONSES,
    CONDITIONAL_WRITE_RESPONSES,
    json_response,
    render,
    require_current,
)
from app.core.openapi import problems
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.outbox import service as receivers
from app.outbox.schemas import DeliveryFilters
from app.principal.dependencies import AdminMember, CreationDep

router = ResourceRouter(prefix="/chat-bridges", tags=["chat_bridges"])


@router.post(
    "",
    status_code=201,
    response_model=ChatBridgePublic,
    summary="Connect a chat group",
    responses=problems(422),
)
def chat_bridges_create(
    session: SessionDep,
    settings: SettingsDep,
    admin: AdminMember,
    data: ChatBridgeCreate,
    creation: CreationDep,
) -> Response:
    """Admins connect a Discord, Slack or Matrix room or a Telegram group to event types.
    Secrets in `target` are stored encrypted and never returned (a hint instead). Discord,
    Slack and Telegram targets must be those platforms' own hosts; Matrix homeservers on
    private addresses are refused (422)."""
    bridge = service.create_bridge(session, settings, creator=admin, data=data)
    public = service.present_bridges(session, [bridge])[0]
    return creation.created(public, location=f"/api/v1/chat-bridges/{bridge.id}")


@router.get("", response_model=ChatBridgePage, summary="List chat bridges")
def chat_bridges_list(
    session: SessionDep, _admin: AdminMember, page: PageParamsDep
) -> ChatBridgePage:
    """Every bridge, newest first (never their secrets)."""
    bridges, next_cursor = service.list_bridges(session, params=page)
    return ChatBridgePage(items=service.present_bridges(session, bridges), next_cursor=next_cursor)


@router.get(
    "/{bridge_id}",
    response_model=ChatBridgePublic,
    summary="Get a chat bridge",
    responses=CONDITIONAL_GET_RESPONSES,
)
def chat_bridges_get(request: Request, session: SessionDep, bridge: ChatBridgeDep) -> Response:
    """One bridge, with why it was switched off if it was."""
    return json_response(request, service.present_bridges(session, [bridge])[0])


@router.patch(
    "/{bridge_id}",
    response_model=ChatBridgePublic,
    summary="Update a chat bridge",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(412, 422),
)
def chat_bridges_update(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    bridge: LockedChatBridgeDep,
    changes: ChatBridgeUpdate,
    admin: AdminMember,
) -> Response:
    """Change the name, target, event types or language, or (de)activate; send `If-Match`."""
    require_current(request, service.present_bridges(session, [bridge])[0])
    bridge = service.update_bridge(session, settings, bridge=bridge, changes=changes, actor=admin)
    return json_response(request, service.present_bridges(session, [bridge])[0])


@router.delete("/{bridge_id}", status_code=204, summary="Delete a chat bridge")
def chat_bridges_delete(
    session: SessionDep, bridge: LockedChatBridgeDep, admin: AdminMember
) -> Response:
    """The bridge goes with its delivery log; pending messages are not sent."""
    service.delete_bridge(session, bridge=bridge, actor=admin)
    return Response(status_code=204)


@router.post(
    "/{bridge_id}/test",
    status_code=202,
    response_model=ChatBridgeDeliveryPublic,
    summary="Send a test message",
    responses=problems(409),
)
def chat_bridges_test(session: SessionDep, bridge: ChatBridgeDep) -> Response:
    """Queues a test message to this bridge alone, sent within seconds; its delivery is in
    the bridge's log. An inactive bridge cannot be tested (409)."""
    delivery = service.queue_test(session, bridge=bridge)
    public = service.present_deliveries(session, [delivery])[0]
    return Response(render(public), status_code=202, media_type="application/json")


@router.get(
    "/{bridge_id}/deliveries",
    response_model=ChatBridgeDeliveryPage,
    summary="List a chat bridge's deliveries",
)
def chat_bridges_list_deliveries(
    session: SessionDep,
    bridge: ChatBridgeDep,
    page: PageParamsDep,
    filters: Annotated[DeliveryFilters, Query()],
) -> ChatBridgeDeliveryPage:
    """The delivery log, newest first, each with its attempts (status code, time taken,
    the start of the platform's answer)."""
    return receivers.delivery_log(
        session,
        ChatBridgeDeliveryPage,
        ChatBridgeDeliveryPublic,
        receiver=bridge,
        status=filters.status,
        params=page,
    )
