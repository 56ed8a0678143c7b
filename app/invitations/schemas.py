from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from app.core.pagination import Page


class InvitationPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "code": "b1Yt2q9QeY0kW7mZ",
                    "expires_at": "2026-12-04T10:00:00Z",
                    "created_at": "2026-11-27T10:00:00Z",
                    "created_by_id": 1,
                    "used_at": None,
                    "used_by_id": None,
                }
            ]
        }
    )

    id: int
    code: str
    expires_at: datetime
    created_at: datetime
    created_by_id: int | None
    used_at: datetime | None
    used_by_id: int | None


class InvitationPage(Page[InvitationPublic]):
    pass
