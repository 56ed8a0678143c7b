from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from app.i18n import N_


class EventNotFound(NotFound):
    code = "event_not_found"


class RsvpNotFound(NotFound):
    code = "rsvp_not_found"


class CheckInNotFound(NotFound):
    code = "check_in_not_found"


class EventNotPublished(Conflict):
    code = "event_not_published"


class EventCancelled(Conflict):
    code = "event_cancelled"


class EventEnded(Conflict):
    code = "event_ended"


class CapacityBelowGoing(Conflict):
    code = "capacity_below_going"


class CannotUnpublish(Conflict):
    code = "cannot_unpublish"


class RsvpListRestricted(Forbidden):
    code = "rsvp_list_restricted"


class EndsBeforeStart(Unprocessable):
    code = "ends_before_start"

    def __init__(self, detail: str = N_("`ends_at` must be after `starts_at`.")) -> None:
        super().__init__(detail, loc=["body", "ends_at"])


class InvalidFeedToken(Unauthorized):
    code = "invalid_feed_token"

    def __init__(self) -> None:
        super().__init__(N_("The calendar feed token is wrong or was revoked; issue a new one."))
