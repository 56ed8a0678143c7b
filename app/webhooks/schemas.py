from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)
from typing_extensions import TypeAliasType

from app.core.pagination import Page
from app.core.patching import PatchBody
from app.core.types import Flag, Line, WebUrl
from app.models import DeliveryStatus
from app.outbox.schemas import AttemptPublic
from app.webhooks.payloads import EVENT_TYPES

# Named, so generated clients get one `WebhookEventType` type instead of inline unions.
WebhookEventType = TypeAliasType(
    "WebhookEventType",
    Literal[
        "member.joined",
        "event.published",
        "event.cancelled",
        "challenge.opened",
        "challenge.voting_started",
        "challenge.closed",
        "submission.created",
        "submission.showcased",
        "project.created",
        "project.completed",
        "announcement.published",
        "badge.awarded",
        "idea.created",
    ],
)
assert set(get_args(WebhookEventType.__value__)) == set(EVENT_TYPES), (
    "WebhookEventType must list every payload type"
)


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


EventTypes = Annotated[
    list[WebhookEventType],
    Field(min_length=1, max_length=len(EVENT_TYPES)),
    AfterValidator(_distinct),
]
Secret = Annotated[
    Line,
    StringConstraints(min_length=16, max_length=128),
    Field(description="Signs every delivery; 16–128 characters. Generated when left out."),
]

_CREATE_EXAMPLE: dict[str, Any] = {
    "url": "https://bot.example.org/sanggar",
    "events": ["challenge.opened", "challenge.closed", "event.published"],
    "active": True,
}


class WebhookCreate(BaseModel):
    """A new webhook; the secret is generated when not given, and returned only once."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CREATE_EXAMPLE]})

    url: WebUrl = Field(description="A public http(s) URL that receives POSTed events.")
    events: EventTypes
    secret: Secret | None = None
    active: Flag = True


class WebhookUpdate(PatchBody):
    """Changes to a webhook; only the fields sent change. `active: true` re-enables one
    that was disabled for failing, and resets its failure count."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"active": True}, {"events": ["member.joined"]}]},
    )

    url: WebUrl | None = None
    events: EventTypes | None = None
    secret: Secret | None = Field(default=None, description="A new signing secret (rotation).")
    active: Flag | None = None

    not_nullable = frozenset({"url", "events", "secret", "active"})


_PUBLIC_EXAMPLE: dict[str, Any] = {
    "id": 4,
    **_CREATE_EXAMPLE,
    "secret_hint": "…Qx4a",
    "disabled_reason": None,
    "consecutive_failures": 0,
    "created_by_id": 1,
    "created_at": "2026-12-01T09:00:00Z",
    "updated_at": "2026-12-01T09:00:00Z",
}


class WebhookPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_PUBLIC_EXAMPLE]})

    id: int
    url: str
    events: list[WebhookEventType]
    active: bool
    secret_hint: str = Field(description="The last characters of the secret.")
    disabled_reason: str | None = Field(
        description="Why the webhook was disabled automatically; null when it was not."
    )
    consecutive_failures: int = Field(description="Failed deliveries since the last success.")
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookPublic):
    """The new webhook; `secret` is shown this once and never again."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_PUBLIC_EXAMPLE, "secret": "whsec_mV3k9…Qx4a"}]}
    )

    secret: str


class WebhookPage(Page[WebhookPublic]):
    pass


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 120,
                    "public_id": "0193a5f2-6c41-7d2e-9b8a-3f1c2d4e5a60",
                    "webhook_id": 4,
                    "event_id": "0193a5f2-6c3e-7a10-8c5d-1e2f3a4b5c6d",
                    "event_type": "challenge.opened",
                    "status": "pending",
                    "attempts": [
                        {
                            "at": "2026-12-01T09:30:02Z",
                            "status_code": 500,
                            "duration_ms": 183,
                            "error": None,
                            "response_body": "Internal Server Error",
                        }
                    ],
                    "next_attempt_at": "2026-12-01T09:30:32Z",
                    "created_at": "2026-12-01T09:30:00Z",
                    "finished_at": None,
                }
            ]
        }
    )

    id: int = Field(description="The delivery's number in this log (the redeliver path's).")
    public_id: str = Field(
        description="Sent as `Sanggar-Delivery`: a UUID, unique for ever (a new one per "
        "redelivery)."
    )
    webhook_id: int
    event_id: str = Field(
        description="The payload's `id`, a UUID unique for ever: the same for every webhook "
        "and redelivery of the event, never reused (not even after a restore)."
    )
    event_type: str
    status: DeliveryStatus
    attempts: list[AttemptPublic] = Field(description="Oldest first.")
    next_attempt_at: datetime | None = Field(description="Null once succeeded or failed.")
    created_at: datetime
    finished_at: datetime | None


class DeliveryPage(Page[DeliveryPublic]):
    pass
