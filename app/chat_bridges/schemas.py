from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from typing_extensions import TypeAliasType

from app.core.pagination import Page
from app.core.patching import PatchBody
from app.core.types import Flag, Line, Title
from app.models import DeliveryStatus
from app.outbox.schemas import AttemptPublic

ChatBridgeKindName = TypeAliasType(
    "ChatBridgeKindName", Literal["discord", "telegram", "slack", "matrix"]
)
ChatBridgeLocale = TypeAliasType("ChatBridgeLocale", Literal["id", "en"])
# The webhook event types (app/webhooks/payloads.EVENT_TYPES; a test holds the two equal).
ChatBridgeEventType = TypeAliasType(
    "ChatBridgeEventType",
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


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


EventTypes = Annotated[
    list[ChatBridgeEventType],
    Field(min_length=1, max_length=len(get_args(ChatBridgeEventType.__value__))),
    AfterValidator(_distinct),
]
TargetValue = Annotated[Line, StringConstraints(min_length=1, max_length=2048)]
Name = Annotated[Title, StringConstraints(max_length=100)]


class ChatBridgeTarget(BaseModel):
    """Where the bridge posts, per kind: `{webhook_url}` (Discord, Slack incoming webhooks),
    `{bot_token, chat_id}` (Telegram), `{homeserver, room_id, access_token}` (Matrix)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"webhook_url": "https://discord.com/api/webhooks/1234/AbCdEf"},
                {"bot_token": "123456:AAF1x-secret-token-Xk3f", "chat_id": "-1001234567890"},
                {
                    "homeserver": "https://matrix.example.org",
                    "room_id": "!AbCdEf:example.org",
                    "access_token": "syt_secret_Xk3f",
                },
            ]
        },
    )

    webhook_url: TargetValue | None = Field(
        default=None, description="Discord or Slack: the incoming webhook URL (secret)."
    )
    bot_token: TargetValue | None = Field(
        default=None, description="Telegram: the bot's token from @BotFather (secret)."
    )
    chat_id: TargetValue | None = Field(
        default=None, description="Telegram: the group's or channel's id, or @channelname."
    )
    homeserver: TargetValue | None = Field(
        default=None, description="Matrix: the homeserver's base URL."
    )
    room_id: TargetValue | None = Field(default=None, description="Matrix: `!id:server`.")
    access_token: TargetValue | None = Field(
        default=None, description="Matrix: the posting account's access token (secret)."
    )


_CREATE_EXAMPLE: dict[str, Any] = {
    "kind": "telegram",
    "name": "Grup Telegram komunitas",
    "target": {"bot_token": "123456:AAF1x-secret-token-Xk3f", "chat_id": "-1001234567890"},
    "events": ["challenge.opened", "challenge.closed", "event.published"],
    "locale": "id",
    "active": True,
}


class ChatBridgeCreate(BaseModel):
    """A new bridge. Secrets in `target` are write-only: answers show a hint."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CREATE_EXAMPLE]})

    kind: ChatBridgeKindName
    name: Name
    target: ChatBridgeTarget
    events: EventTypes
    locale: ChatBridgeLocale = "id"
    active: Flag = True


class ChatBridgeUpdate(PatchBody):
    """Changes to a bridge; only the fields sent change. `target` is replaced whole (send
    every field of the kind, the secret included). `active: true` re-enables a bridge that
    was switched off for failing, and resets its failure count."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"active": True}, {"locale": "en"}]},
    )

    name: Name | None = None
    target: ChatBridgeTarget | None = None
    events: EventTypes | None = None
    locale: ChatBridgeLocale | None = None
    active: Flag | None = None

    not_nullable = frozenset({"name", "target", "events", "locale", "active"})


class ChatBridgeTargetPublic(BaseModel):
    """The target without its secret: the secret's last characters instead."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "chat_id": "-1001234567890",
                    "homeserver": None,
                    "room_id": None,
                    "secret_hint": "…Xk3f",
                }
            ]
        }
    )

    chat_id: str | None = Field(description="Telegram's chat id; null for other kinds.")
    homeserver: str | None = Field(description="Matrix's homeserver; null for other kinds.")
    room_id: str | None = Field(description="Matrix's room id; null for other kinds.")
    secret_hint: str = Field(
        description="`…` and the last four characters of the secret (the webhook URL, the "
        "bot token or the access token)."
    )


_PUBLIC_EXAMPLE: dict[str, Any] = {
    "id": 3,
    **_CREATE_EXAMPLE,
    "target": {
        "chat_id": "-1001234567890",
        "homeserver": None,
        "room_id": None,
        "secret_hint": "…Xk3f",
    },
    "disabled_reason": None,
    "consecutive_failures": 0,
    "created_by_id": 1,
    "created_at": "2026-12-01T09:00:00Z",
    "updated_at": "2026-12-01T09:00:00Z",
}


class ChatBridgePublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_PUBLIC_EXAMPLE]})

    id: int
    kind: ChatBridgeKindName
    name: str
    target: ChatBridgeTargetPublic
    events: list[ChatBridgeEventType]
    locale: ChatBridgeLocale
    active: bool
    disabled_reason: str | None = Field(
        description="Why the bridge was switched off automatically; null when it was not."
    )
    consecutive_failures: int = Field(description="Failed deliveries since the last success.")
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime


class ChatBridgePage(Page[ChatBridgePublic]):
    pass


class ChatBridgeDeliveryPublic(BaseModel):
    """A message to a bridge: as a webhook delivery, with `chat_bridge_id`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 121,
                    "public_id": "0193a5f2-6c41-7d2e-9b8a-3f1c2d4e5a61",
                    "chat_bridge_id": 3,
                    "event_id": "0193a5f2-6c3e-7a10-8c5d-1e2f3a4b5c6d",
                    "event_type": "challenge.opened",
                    "status": "succeeded",
                    "attempts": [
                        {
                            "at": "2026-12-01T09:30:02Z",
                            "status_code": 200,
                            "duration_ms": 183,
                            "error": None,
                            "response_body": '{"ok":true}',
                        }
                    ],
                    "next_attempt_at": None,
                    "created_at": "2026-12-01T09:30:00Z",
                    "finished_at": "2026-12-01T09:30:02Z",
                }
            ]
        }
    )

    id: int
    public_id: str = Field(
        description="A UUID, unique for ever; Matrix's transaction id, so a retry never "
        "posts twice."
    )
    chat_bridge_id: int
    event_id: str = Field(description="The event's `id`, as webhooks receive it.")
    event_type: str = Field(description="A webhook event type, or `ping` for a test message.")
    status: DeliveryStatus
    attempts: list[AttemptPublic] = Field(description="Oldest first.")
    next_attempt_at: datetime | None = Field(description="Null once succeeded or failed.")
    created_at: datetime
    finished_at: datetime | None


class ChatBridgeDeliveryPage(Page[ChatBridgeDeliveryPublic]):
    pass
