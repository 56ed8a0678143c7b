from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.pagination import Page
from app.core.types import Flag, PositiveInt
from app.notifications.texts import Worded, shown


class Stored(Worded, Protocol):
    """A notification as stored: an entity, or a read model's row."""

    @property
    def id(self) -> int | None: ...
    @property
    def type(self) -> str: ...
    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def read_at(self) -> datetime | None: ...


class NotificationPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 31,
                    "type": "member.joined",
                    "title": "Welcome to Sanggar, Rina!",
                    "body": "Start with a few first steps: complete your profile, join an event.",
                    "data": {"member_id": 7},
                    "created_at": "2026-11-27T10:00:00Z",
                    "read_at": None,
                }
            ]
        }
    )

    id: int
    type: str = Field(description="What happened, e.g. `event.waitlist_promoted`.")
    title: str
    body: str
    data: dict[str, Any] = Field(description="Ids of what the notification is about.")
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, notification: Stored, locale: str) -> NotificationPublic:
        """The notification as the reader sees it: its texts in their language."""
        assert notification.id is not None
        title, body = shown(notification, locale)
        return cls(
            id=notification.id,
            type=notification.type,
            title=title,
            body=body,
            data=notification.data,
            created_at=notification.created_at,
            read_at=notification.read_at,
        )


class NotificationPage(Page[NotificationPublic]):
    pass


class UnreadCount(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"unread": 3}]})

    unread: int


class MarkRead(BaseModel):
    """Either `ids` (some notifications) or `all: true` (every one)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"ids": [31, 32]}, {"all": True}]},
        # "`ids` or `all: true`" is checked by `_one_of`, not stated as an `anyOf` beside the
        # properties: openapi-python-client cannot parse that shape and drops the operation.
    )

    ids: Annotated[list[PositiveInt], Field(min_length=1, max_length=100)] | None = None
    all: Flag | None = None

    @model_validator(mode="after")
    def _one_of(self) -> MarkRead:
        if (self.ids is None) == (self.all is not True):
            raise ValueError("send either `ids` or `all: true`")
        return self


class MarkReadResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"marked": 2, "unread": 1}]})

    marked: int = Field(description="How many notifications this request marked read.")
    unread: int = Field(description="How many are still unread.")


class StreamTicket(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ticket": "7.1796504060.q3bN0w-XhG3yR2c1Vb0f9A.5V1kz…",
                    "expires_at": "2026-12-05T21:01:00Z",
                }
            ]
        }
    )

    ticket: str = Field(description="Pass as `?ticket=` to `GET /notifications/stream`; once.")
    expires_at: datetime
