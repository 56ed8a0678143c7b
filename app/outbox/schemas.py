from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.models import DeliveryStatus


class AttemptPublic(BaseModel):
    """One try at sending a delivery, to a webhook or to a chat platform."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "at": "2026-12-01T09:30:02Z",
                    "status_code": 500,
                    "duration_ms": 183,
                    "error": None,
                    "response_body": "Internal Server Error",
                }
            ]
        }
    )

    at: datetime
    status_code: int | None = Field(description="Null when no response came (see `error`).")
    duration_ms: int
    error: str | None = Field(description="Why the attempt failed without a 2xx, if not a status.")
    response_body: str = Field(
        description="The first 4 KiB of the answer (the receiver's, or the chat platform's)."
    )


class DeliveryFilters(BaseModel):
    status: DeliveryStatus | None = None
