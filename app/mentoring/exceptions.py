from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.i18n import N_


class MentorNotFound(NotFound):
    code = "mentor_not_found"


class MentorshipNotFound(NotFound):
    code = "mentorship_not_found"


class MentorNotOpen(Conflict):
    code = "mentor_not_open"


class MentorshipAlreadyOpen(Conflict):
    code = "mentorship_already_open"


class MentorAtCapacity(Conflict):
    code = "mentor_at_capacity"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class NotMentor(Forbidden):
    code = "not_mentor"


class CannotMentorSelf(Unprocessable):
    code = "cannot_mentor_self"

    def __init__(self) -> None:
        super().__init__(N_("You cannot ask yourself for mentoring."), loc=["body", "mentor_id"])


class CapacityBelowActive(Unprocessable):
    code = "capacity_below_active"

    def __init__(self, active: int) -> None:
        super().__init__(
            N_(
                "You mentor {active} members now; capacity cannot be lower. Complete or end "
                "mentorships first, or set `open` to false to take no new requests."
            ),
            values={"active": active},
            loc=["body", "mentoring", "capacity"],
        )
