from __future__ import annotations

from app.core.errors import Conflict, NotFound, Unprocessable
from app.i18n import N_


class ChallengeNotFound(NotFound):
    code = "challenge_not_found"


class ChallengeNotOpen(Conflict):
    code = "challenge_not_open"


class ChallengeNotVoting(Conflict):
    code = "challenge_not_voting"


class ChallengeNotClosed(Conflict):
    code = "challenge_not_closed"


class CannotUnpublish(Conflict):
    code = "cannot_unpublish"


class JudgingLocked(Conflict):
    code = "judging_locked"


class UnknownJurors(Unprocessable):
    code = "unknown_jurors"


class DatesOutOfOrder(Unprocessable):
    code = "dates_out_of_order"

    def __init__(self) -> None:
        super().__init__(
            N_(
                "The dates must be in order: submissions_open_at < submissions_close_at "
                "< voting_close_at."
            ),
            loc=["body", "submissions_close_at"],
        )
