"""Events as the API shows them: the read model of `GET /events/{id}` and of the pages of
events.

Core statements on a connection (app.readmodels), rows straight into `EventPublic`: an
event, or a page of them, with the viewer's RSVP status joined in (one statement), and the
covers of those that have one (a second, only then). Drafts exist only for organizers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.core.pagination import PageParams, asc, paginate_rows
from app.events.exceptions import EventNotFound
from app.events.presenters import to_public
from app.events.schemas import EventFilters, EventPublic
from app.i18n import N_
from app.media.presenters import media_by_id
from app.models import Event, EventRsvp, EventStatus, Member, RsvpStatus, is_organizer
from app.problems.details import does_not_exist
from app.readmodels import ReadStatement

Row = sa.Row[*tuple[Any, ...]]

_EVENTS = cast(sa.Table, Event.__table__)  # type: ignore[attr-defined]
_RSVPS = cast(sa.Table, EventRsvp.__table__)  # type: ignore[attr-defined]

# Every column of the event (EventPublic ignores those it does not show), with the viewer's
# RSVP status: null for anonymous callers (no member id matches NULL) and without an RSVP.
_SHOWN = (
    sa.select(*_EVENTS.c, _RSVPS.c.status.label("my_status"))
    .select_from(
        _EVENTS.outerjoin(
            _RSVPS,
            sa.and_(
                _RSVPS.c.event_id == _EVENTS.c.id,
                _RSVPS.c.member_id == sa.bindparam("viewer_id"),
            ),
        )
    )
    .where(_EVENTS.c.status != sa.bindparam("hidden_status"))
)
_ONE = ReadStatement(_SHOWN.where(_EVENTS.c.id == sa.bindparam("event_id")))
_PAGE_KEYS = [asc(Event.starts_at), asc(Event.id)]
# What an organizer does not see hidden (a status no event has): drafts are theirs to see.
_NOTHING = ""


def _values(viewer: Member | None) -> dict[str, Any]:
    """The viewer's parameters: whose RSVP to join, which status they may not see."""
    hidden = _NOTHING if is_organizer(viewer) else EventStatus.DRAFT.value
    return {"viewer_id": viewer.id if viewer else None, "hidden_status": hidden}


def _shown(
    connection: Connection, rows: Sequence[Row], *, viewer: Member | None
) -> list[EventPublic]:
    covers = media_by_id(connection, (r.cover_media_id for r in rows if r.cover_media_id))
    organizer = is_organizer(viewer)
    return [
        to_public(
            row._mapping,
            my_status=RsvpStatus(row.my_status) if row.my_status else None,
            sees_online_url=organizer or row.my_status == RsvpStatus.GOING,
            cover=covers.get(row.cover_media_id) if row.cover_media_id else None,
        )
        for row in rows
    ]


def event(connection: Connection, *, event_id: int, viewer: Member | None) -> EventPublic:
    """`GET /events/{id}`, or 404 (drafts exist only for organizers)."""
    row = _ONE.first(connection, {**_values(viewer), "event_id": event_id})
    if row is None:
        raise does_not_exist(EventNotFound, N_("Event"), event_id)
    return _shown(connection, [row], viewer=viewer)[0]


def page(
    connection: Connection, *, filters: EventFilters, params: PageParams, viewer: Member | None
) -> tuple[list[EventPublic], str | None]:
    """A page of events by start time, filtered as asked."""
    statement = _SHOWN
    for column, value in (
        (_EVENTS.c.kind, filters.kind),
        (_EVENTS.c.city_key, filters.city.lower() if filters.city else None),
        (_EVENTS.c.series_id, filters.series_id),
        (_EVENTS.c.status, filters.status),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if filters.starts_after is not None:
        statement = statement.where(_EVENTS.c.starts_at >= filters.starts_after)
    if filters.starts_before is not None:
        statement = statement.where(_EVENTS.c.starts_at < filters.starts_before)
    rows, next_cursor = paginate_rows(
        connection, statement.params(_values(viewer)), keys=_PAGE_KEYS, params=params
    )
    return _shown(connection, rows, viewer=viewer), next_cursor
