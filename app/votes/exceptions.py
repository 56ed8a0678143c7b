from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound


class OwnSubmission(Forbidden):
    code = "own_submission"


class VoteBudgetExhausted(Conflict):
    code = "vote_budget_exhausted"


class SubmissionDisqualified(Conflict):
    code = "submission_disqualified"


class VoteNotFound(NotFound):
    code = "vote_not_found"
