from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.core.pagination import Page
from app.core.patching import PatchBody
from app.core.types import Line, PositiveInt, ScheduleTime, Text, Title, WebUrl
from app.media.schemas import MediaOut
from app.models import EventKind, EventStatus, RsvpStatus
from app.recurrence import Repeat

EventTime = ScheduleTime
COVER_DESCRIPTION = "One of the caller's uploaded images (`POST /api/v1/media`), shown as `cover`."


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _known_time_zone(value: str) -> str:
    if value not in _time_zones():
        raise ValueError("must be an IANA time zone name such as Asia/Jakarta")
    return value


TimeZoneName = Annotated[
    Line,
    StringConstraints(max_length=64),
    AfterValidator(_known_time_zone),
    Field(description="IANA time zone of the event's wall clock, e.g. `Asia/Jakarta`."),
]
EventTitle = Annotated[Title, StringConstraints(max_length=200)]
Description = Annotated[Text, StringConstraints(max_length=10_000)]
Venue = Annotated[Title, StringConstraints(max_length=200)]
City = Annotated[Title, StringConstraints(max_length=80)]
Capacity = Annotated[
    int, Field(ge=1, le=100_000, description="Seats; null means no limit (no waitlist).")
]


class EditScope(StrEnum):
    THIS = "this"
    FOLLOWING = "following"


class RsvpChoice(StrEnum):
    GOING = "going"
    INTERESTED = "interested"
    NOT_GOING = "not_going"


_EVENT_INPUT_EXAMPLE: dict[str, Any] = {
    "title": "Risograph printing workshop",
    "description": "Bring a drawing; leave with a two-colour print.",
    "kind": "workshop",
    "starts_at": "2026-12-05T19:00:00+07:00",
    "ends_at": "2026-12-05T21:00:00+07:00",
    "timezone": "Asia/Jakarta",
    "venue": "Ruang Kolektif, Jl. Cikini Raya 73",
    "city": "Jakarta",
    "online_url": None,
    "capacity": 12,
    "status": "published",
}


class EventCreate(BaseModel):
    """A new event; with `repeat`, the first occurrence of a new series."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                _EVENT_INPUT_EXAMPLE,
                {
                    **_EVENT_INPUT_EXAMPLE,
                    "title": "Weekly sketch night",
                    "kind": "sharing_session",
                    "capacity": None,
                    "repeat": {"frequency": "weekly", "interval": 1, "count": 8},
                },
            ]
        },
    )

    title: EventTitle
    description: Description
    kind: EventKind
    starts_at: EventTime
    ends_at: EventTime = Field(description="After `starts_at`.")
    timezone: TimeZoneName
    venue: Venue | None = None
    city: City | None = None
    online_url: WebUrl | None = Field(
        default=None, description="Shown only to organizers and members going."
    )
    capacity: Capacity | None = None
    status: EventStatus
    cover_media_id: PositiveInt | None = Field(
        default=None, description=COVER_DESCRIPTION + " With `repeat`, every occurrence's."
    )
    repeat: Repeat | None = None

    @field_validator("ends_at")
    @classmethod
    def _ends_after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
        starts_at = info.data.get("starts_at")
        if starts_at is not None and value <= starts_at:
            raise ValueError("must be after starts_at")
        return value


# Fields that may be left out of a PATCH but never set to null.
_NOT_NULLABLE = frozenset(
    {"title", "description", "kind", "starts_at", "ends_at", "timezone", "status"}
)


class EventUpdate(PatchBody):
    """Changes to an event; only the fields sent change. A series' `repeat` is fixed."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"capacity": 20}, {"status": "cancelled"}]},
    )

    title: EventTitle | None = None
    description: Description | None = None
    kind: EventKind | None = None
    starts_at: EventTime | None = None
    ends_at: EventTime | None = None
    timezone: TimeZoneName | None = None
    venue: Venue | None = None
    city: City | None = None
    online_url: WebUrl | None = None
    capacity: Capacity | None = None
    status: EventStatus | None = None
    cover_media_id: PositiveInt | None = Field(
        default=None, description=COVER_DESCRIPTION + " `null` removes the cover."
    )

    not_nullable = _NOT_NULLABLE

    @model_validator(mode="after")
    def _consistent(self) -> EventUpdate:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


_EVENT_EXAMPLE: dict[str, Any] = {
    "id": 42,
    "series_id": None,
    "title": "Risograph printing workshop",
    "description": "Bring a drawing; leave with a two-colour print.",
    "kind": "workshop",
    "status": "published",
    "starts_at": "2026-12-05T12:00:00Z",
    "ends_at": "2026-12-05T14:00:00Z",
    "timezone": "Asia/Jakarta",
    "venue": "Ruang Kolektif, Jl. Cikini Raya 73",
    "city": "Jakarta",
    "online_url": None,
    "capacity": 12,
    "going_count": 12,
    "waitlist_count": 3,
    "spots_left": 0,
    "sequence": 2,
    "my_rsvp_status": "waitlisted",
    "cover": None,
    "created_by_id": 2,
    "created_at": "2026-11-20T08:00:00Z",
    "updated_at": "2026-11-25T10:30:00Z",
}


class EventPublic(BaseModel):
    """An event occurrence. Times are UTC; `timezone` is the wall clock to show them in."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EVENT_EXAMPLE]})

    id: int
    series_id: int | None = Field(
        description="Shared by the occurrences of a series (the first occurrence's id)."
    )
    title: str
    description: str
    kind: EventKind
    status: EventStatus
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str | None
    city: str | None
    online_url: str | None = Field(
        description="Null unless the caller is an organizer or has an RSVP `going`."
    )
    capacity: int | None
    going_count: int
    waitlist_count: int
    spots_left: int | None = Field(description="Seats still free; null when there is no limit.")
    sequence: int = Field(description="Revision number, bumped on every change (iCalendar).")
    my_rsvp_status: RsvpStatus | None = Field(
        description="The caller's RSVP; null for anonymous callers or without an RSVP."
    )
    cover: MediaOut | None = Field(description="The cover image (`cover_media_id`), or null.")
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime


class EventPage(Page[EventPublic]):
    pass


class EventFilters(BaseModel):
    starts_after: EventTime | None = Field(
        default=None, description="Events starting at or after this time."
    )
    starts_before: EventTime | None = Field(
        default=None, description="Events starting before this time."
    )
    kind: EventKind | None = None
    city: City | None = Field(default=None, description="City, ignoring case.")
    series_id: PositiveInt | None = Field(default=None, description="The events of one series.")
    status: EventStatus | None = Field(default=None, description="Drafts: organizers only.")


class CalendarFilters(BaseModel):
    kind: EventKind | None = None
    city: City | None = Field(default=None, description="City, ignoring case.")


class EventMember(BaseModel):
    """Who, in a list of RSVPs or check-ins."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 7, "handle": "rina_draws", "display_name": "Rina Wijaya", "avatar_url": None}
            ]
        }
    )

    id: int
    handle: str
    display_name: str
    avatar_url: str | None


class RsvpUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "going"}]})

    status: RsvpChoice = Field(
        description="`going` takes a seat, or a place on the waitlist when the event is full."
    )


class RsvpPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": 42,
                    "member": {
                        "id": 7,
                        "handle": "rina_draws",
                        "display_name": "Rina Wijaya",
                        "avatar_url": None,
                    },
                    "status": "waitlisted",
                    "waitlist_position": 2,
                    "created_at": "2026-11-26T09:00:00Z",
                    "updated_at": "2026-11-26T09:00:00Z",
                }
            ]
        }
    )

    event_id: int
    member: EventMember
    status: RsvpStatus
    waitlist_position: int | None = Field(
        description="1 is next in line; null unless `waitlisted`."
    )
    created_at: datetime
    updated_at: datetime


class RsvpPage(Page[RsvpPublic]):
    pass


class CheckInCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"member_id": 7}]})

    member_id: PositiveInt


class CheckInPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": 42,
                    "member_id": 7,
                    "member": {
                        "id": 7,
                        "handle": "rina_draws",
                        "display_name": "Rina Wijaya",
                        "avatar_url": None,
                    },
                    "checked_in_at": "2026-12-05T12:05:00Z",
                }
            ]
        }
    )

    event_id: int
    member_id: int
    member: EventMember
    checked_in_at: datetime


class CheckInPage(Page[CheckInPublic]):
    pass


class CalendarToken(BaseModel):
    """A read-only feed secret; put `url` in a calendar app. Issuing one revokes the last."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "token": "sgr_feed_Jx3k…",
                    "url": "https://sanggar.example.org/api/v1/members/me/calendar.ics?token=sgr_feed_Jx3k…",
                }
            ]
        }
    )

    token: str
    url: str
