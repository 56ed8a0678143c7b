from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import service
from app.audit.schemas import AuditFilters, AuditPage
from app.auth.dependencies import AdminMember
from app.core.db import SessionDep, UnitOfWorkRoute
from app.core.pagination import PageParamsDep

router = APIRouter(prefix="/audit-log", tags=["audit"], route_class=UnitOfWorkRoute)


@router.get("", response_model=AuditPage, summary="List audit log entries")
def audit_list(
    session: SessionDep,
    _admin: AdminMember,
    page: PageParamsDep,
    filters: Annotated[AuditFilters, Query()],
) -> AuditPage:
    """Privileged actions, newest first; filter by action, actor or target."""
    entries, next_cursor = service.list_entries(session, filters=filters, params=page)
    return AuditPage(items=service.present(entries), next_cursor=next_cursor)
