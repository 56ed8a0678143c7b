from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, UTCDateTime, created_at_field, one_of


class EventKind(StrEnum):
    WORKSHOP = "workshop"
    DISCUSSION = "discussion"
    SHARING_SESSION = "sharing_session"
    CLASS = "class"
    EXHIBITION = "exhibition"
    SOCIAL = "social"
    MEETUP = "meetup"


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class RsvpStatus(StrEnum):
    GOING = "going"
    WAITLISTED = "waitlisted"
    INTERESTED = "interested"
    NOT_GOING = "not_going"


class Event(SQLModel, table=True):
    """One occurrence. A series is the events sharing `series_id` (the first one's id).

    `going_count` and `waitlist_count` are kept on the row, not counted: a seat is taken by
    one conditional UPDATE of this row, and the CHECK below makes overbooking impossible
    whatever the application does. `waitlist_seq` hands out FIFO tickets to the waitlist.
    """

    __tablename__ = "events"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", EventKind), name="kind_known"),
        sa.CheckConstraint(one_of("status", EventStatus), name="status_known"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint(
            "capacity IS NULL OR going_count <= capacity", name="going_within_capacity"
        ),
        sa.CheckConstraint("going_count >= 0 AND waitlist_count >= 0", name="counts_not_negative"),
        # The list is ordered by (starts_at, id): keyset pages walk this index.
        sa.Index("ix_events_starts_at_id", "starts_at", "id"),
        sa.Index("ix_events_series_id_starts_at", "series_id", "starts_at"),
        sa.Index("ix_events_city_key_starts_at", "city_key", "starts_at"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    series_id: int | None = Field(default=None)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=10_000)
    kind: str = Field(max_length=32)
    status: str = Field(max_length=16)
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # IANA name: the event's wall clock, for display, series arithmetic and iCalendar TZID.
    timezone: str = Field(max_length=64)
    venue: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=80)
    city_key: str | None = Field(default=None, max_length=80)
    online_url: str | None = Field(default=None, max_length=2048)
    capacity: int | None = Field(default=None)
    going_count: int = Field(default=0)
    waitlist_count: int = Field(default=0)
    waitlist_seq: int = Field(default=0)
    # iCalendar SEQUENCE: bumped on every edit so calendar apps replace their copy.
    sequence: int = Field(default=0)
    # An uploaded image shown with it (app/media); the upload stays in its owner's library.
    cover_media_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer,
            # media.owner_id refers to members: use_alter breaks the cycle on PostgreSQL.
            sa.ForeignKey("media.id", ondelete="SET NULL", use_alter=True),
            index=True,
        ),
    )
    created_by_id: int | None = Field(
        default=None, foreign_key="members.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class EventRsvp(SQLModel, table=True):
    __tablename__ = "event_rsvps"
    __table_args__ = (
        # One answer per member and event: concurrent first answers meet here.
        sa.UniqueConstraint("event_id", "member_id"),
        # FIFO order of the waitlist; also answers "who is first" from the index.
        sa.UniqueConstraint("event_id", "waitlist_ticket"),
        sa.Index("ix_event_rsvps_event_id_status_id", "event_id", "status", "id"),
        # A member's calendar feed: the events they are going to.
        sa.Index("ix_event_rsvps_member_id_status", "member_id", "status"),
        sa.CheckConstraint(one_of("status", RsvpStatus), name="status_known"),
        sa.CheckConstraint(
            "(status = 'waitlisted') = (waitlist_ticket IS NOT NULL)",
            name="ticket_only_when_waitlisted",
        ),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="members.id", ondelete="CASCADE")
    status: str = Field(max_length=16)
    waitlist_ticket: int | None = Field(default=None)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class EventCheckIn(SQLModel, table=True):
    """Attendance: one row per member and event, whoever checks them in and how often."""

    __tablename__ = "event_check_ins"

    event_id: int = Field(foreign_key="events.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(
        foreign_key="members.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    checked_in_at: datetime = created_at_field()
    checked_in_by_id: int | None = Field(
        default=None, foreign_key="members.id", index=True, ondelete="SET NULL"
    )


class CalendarFeedToken(SQLModel, table=True):
    """A member's read-only calendar feed secret, stored as a hash; one per member, so
    issuing a new one replaces (revokes) the previous."""

    __tablename__ = "calendar_feed_tokens"

    member_id: int = Field(foreign_key="members.id", primary_key=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
