"""Load-or-404 for the bridge in the path; every route is for admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.chat_bridges import service
from app.core.db import SessionDep
from app.core.openapi import declares
from app.core.types import IdPath
from app.models import ChatBridge
from app.principal.dependencies import AdminMember


@declares(404)
def bridge_for_reading(session: SessionDep, _admin: AdminMember, bridge_id: IdPath) -> ChatBridge:
    return service.get_bridge(session, bridge_id=bridge_id)


@declares(404)
def bridge_for_writing(session: SessionDep, _admin: AdminMember, bridge_id: IdPath) -> ChatBridge:
    """Locked (PostgreSQL): concurrent edits of one bridge are decided one at a time."""
    return service.get_bridge(session, bridge_id=bridge_id, lock=True)


ChatBridgeDep = Annotated[ChatBridge, Depends(bridge_for_reading)]
LockedChatBridgeDep = Annotated[ChatBridge, Depends(bridge_for_writing)]
