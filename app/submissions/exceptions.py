from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound, Unauthorized
from app.i18n import N_


class SubmissionNotFound(NotFound):
    code = "submission_not_found"


class SubmissionLimitReached(Conflict):
    code = "submission_limit_reached"


class NotSubmissionAuthor(Forbidden):
    code = "not_submission_author"


class WorksHiddenUntilClosed(Unauthorized):
    """Anonymous visitors see a challenge's works once it is closed; members see them
    earlier, so logging in is the way to them (hence 401, not 404)."""

    code = "login_required"

    def __init__(self) -> None:
        super().__init__(
            N_("The works of a challenge are public once it closes; log in to see them now."),
            error="invalid_request",
        )
