"""Series: one repeat rule and one way of stepping it, for events and challenges alike.

A series repeats its first date every `interval` weeks or calendar months. The steps are
taken on the wall clock of a time zone, not in elapsed time: a weekly event at 19:00 in
Asia/Jakarta or Europe/Berlin stays at 19:00 local time, across a daylight-saving change
too (its UTC time moves by an hour instead). A monthly series keeps the first date's day of
the month, clamped to the last day of a shorter month (the 31st gives 28 February, 31 March,
30 April): every step is counted from the first date, so one short month does not pull the
later ones back. Every occurrence of a series carries the first one's id as its `series_id`.

Which wall clock:
- an event's series uses the event's own `timezone`;
- a challenge has no time zone: its dates are stored in UTC and its series is stepped on the
  UTC clock. A challenge opening at 17:00 UTC (midnight in Jakarta) opens at 17:00 UTC every
  time; in a zone with daylight saving its local opening time moves by an hour when the
  clocks change.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session


class Frequency(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class Repeat(BaseModel):
    """Makes a series: `count` occurrences, `interval` weeks or months apart (wall clock)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"frequency": "weekly", "interval": 1, "count": 8}]},
    )

    frequency: Frequency
    interval: int = Field(
        default=1, ge=1, le=12, description="Every n weeks or months (3 months = quarterly)."
    )
    count: int = Field(ge=2, le=52, description="Occurrences in the series, the first included.")


def to_wall_clock(moment: datetime, zone: tzinfo) -> datetime:
    """The moment as a naive local time on the zone's clock."""
    return moment.astimezone(zone).replace(tzinfo=None)


def from_wall_clock(local: datetime, zone: tzinfo) -> datetime:
    """A naive local time on the zone's clock, as a UTC moment."""
    return local.replace(tzinfo=zone).astimezone(UTC)


def add_months(local: datetime, months: int) -> datetime:
    """The same day of the month `months` later, clamped to the month's last day."""
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    return local.replace(year=year, month=month, day=min(local.day, monthrange(year, month)[1]))


def series_starts(first: datetime, repeat: Repeat | None, *, zone: tzinfo = UTC) -> list[datetime]:
    """The UTC start of every occurrence of a series, the first included (only the first
    without `repeat`), stepped on the zone's wall clock."""
    if repeat is None:
        return [first]
    local = to_wall_clock(first, zone)
    return [from_wall_clock(_step(local, repeat, k), zone) for k in range(repeat.count)]


def _step(local: datetime, repeat: Repeat, k: int) -> datetime:
    steps = k * repeat.interval
    if repeat.frequency == Frequency.WEEKLY:
        return local + timedelta(weeks=steps)
    return add_months(local, steps)


class Occurrence(Protocol):
    id: int | None
    series_id: int | None


def save_series(session: Session, occurrences: Sequence[Occurrence], repeat: Repeat | None) -> None:
    """Inserts the occurrences; those of a series all carry the first one's id as their
    `series_id` (a single row, made without `repeat`, has none)."""
    session.add_all(occurrences)
    session.flush()
    if repeat is not None:
        for occurrence in occurrences:
            occurrence.series_id = occurrences[0].id
        session.flush()
