from __future__ import annotations

from app.core.errors import Conflict, Forbidden, Unprocessable


class NotAJuror(Forbidden):
    code = "not_a_juror"


class ConflictOfInterest(Forbidden):
    code = "conflict_of_interest"


class JudgingClosed(Conflict):
    code = "judging_closed"


class MissingCriterion(Unprocessable):
    code = "missing_criterion"


class UnknownCriterion(Unprocessable):
    code = "unknown_criterion"
