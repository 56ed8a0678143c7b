from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from app.core.pagination import Page
from app.core.types import PositiveInt

# Named aliases: generators get `AuditAction`/`AuditTargetType` enums, not inline literals.
AuditAction = TypeAliasType(
    "AuditAction",
    Literal[
        "member.role_changed",
        "member.deactivated",
        "member.reactivated",
        "report.resolved",
        "report.dismissed",
        "report.reopened",
        "submission.disqualified",
        "submission.reinstated",
        "submission.featured",
        "submission.unfeatured",
        "webhook.created",
        "webhook.updated",
        "webhook.deleted",
        "chat_bridge.created",
        "chat_bridge.updated",
        "chat_bridge.deleted",
        "challenge.dates_moved",
        "invitation.created",
        "token.created",
        "token.deleted",
    ],
)
AuditTargetType = TypeAliasType(
    "AuditTargetType",
    Literal[
        "member",
        "report",
        "submission",
        "webhook",
        "chat_bridge",
        "challenge",
        "invitation",
        "token",
    ],
)

_EXAMPLE: dict[str, Any] = {
    "id": 42,
    "actor_id": 1,
    "action": "member.role_changed",
    "target_type": "member",
    "target_id": 7,
    "changes": {"role": {"before": "member", "after": "organizer"}},
    "request_id": "4f1c2b9e8d7a4c3b9a1e2f3d4c5b6a79",
    "created_at": "2026-12-01T23:05:00Z",
}


class AuditPublic(BaseModel):
    """One privileged action: who, what, on which object, the changed fields, which request."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    id: int
    actor_id: int | None = Field(description="The member who acted; null for the command line.")
    action: AuditAction
    target_type: AuditTargetType
    target_id: int
    changes: dict[str, Any] = Field(
        description="`{field: {before, after}}` for each field the action changed."
    )
    request_id: str | None = Field(description="The `X-Request-ID` of the request that acted.")
    created_at: datetime


class AuditPage(Page[AuditPublic]):
    pass


class AuditFilters(BaseModel):
    action: AuditAction | None = None
    actor_id: PositiveInt | None = None
    target_type: AuditTargetType | None = None
    target_id: PositiveInt | None = None
