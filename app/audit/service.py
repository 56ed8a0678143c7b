"""Recording privileged actions in the same transaction as the action itself.

Services call `record` after their writes and before they return; the request's unit of work
commits both or neither, so a refused or failed action leaves no entry behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

import structlog
from sqlmodel import Session, col, select

from app.audit.schemas import AuditFilters, AuditPublic
from app.core.pagination import PageParams, desc, paginate
from app.models import AuditEntry, Member


def _plain(value: Any) -> Any:
    """A JSON-friendly form of a changed value (enums, datetimes)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """{field: {before, after}} for the fields whose value differs."""
    return {
        field: {"before": _plain(before.get(field)), "after": _plain(value)}
        for field, value in after.items()
        if _plain(before.get(field)) != _plain(value)
    }


def snapshot(row: Any, fields: Iterable[str]) -> dict[str, Any]:
    return {field: getattr(row, field) for field in fields}


def record(
    session: Session,
    *,
    actor: Member | None,
    action: str,
    target_type: str,
    target_id: int,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Adds one entry; the request id comes from the logging context of the request."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        changes=changes or {},
        request_id=request_id if isinstance(request_id, str) else None,
    )
    session.add(entry)
    session.flush()
    return entry


def list_entries(
    session: Session, *, filters: AuditFilters, params: PageParams
) -> tuple[list[AuditEntry], str | None]:
    statement = select(AuditEntry)
    if filters.action is not None:
        statement = statement.where(AuditEntry.action == filters.action)
    if filters.actor_id is not None:
        statement = statement.where(AuditEntry.actor_id == filters.actor_id)
    if filters.target_type is not None:
        statement = statement.where(AuditEntry.target_type == filters.target_type)
    if filters.target_id is not None:
        statement = statement.where(col(AuditEntry.target_id) == filters.target_id)
    return paginate(session, statement, keys=[desc(AuditEntry.id)], params=params)


def present(entries: Iterable[AuditEntry]) -> list[AuditPublic]:
    return [AuditPublic.model_validate(entry, from_attributes=True) for entry in entries]
