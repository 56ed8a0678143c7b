from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.audit import service
from app.audit.schemas import AuditFilters, AuditPage
from app.core.db import SessionDep
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.principal.dependencies import AdminMember

router = ResourceRouter(prefix="/audit-log", tags=["audit"])


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
