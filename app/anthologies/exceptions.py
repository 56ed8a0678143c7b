from __future__ import annotations

from app.core.errors import NotFound, Problem, Unprocessable, ValidationIssue, ValidationProblem
from app.i18n import N_


class AnthologyNotFound(NotFound):
    code = "anthology_not_found"


class ShareCardNotFound(NotFound):
    """Only winning or featured works of closed challenges have a share card."""

    code = "share_card_not_found"


class UnknownWorks(Unprocessable):
    """An anthology named works that do not exist: bad input, so nothing is written."""

    code = "unknown_submissions"

    def __init__(self, unknown: dict[int, list[str | int]]) -> None:
        """`unknown`: each id that does not exist, with where the request named it."""
        ids = ", ".join(str(i) for i in unknown)
        one, many = N_("Submission {ids} does not exist."), N_("Submissions {ids} do not exist.")
        super().__init__(one if len(unknown) == 1 else many, values={"ids": ids})
        self.unknown = unknown

    def to_problem(self) -> Problem:
        base = super().to_problem()
        issues = [
            ValidationIssue(loc=loc, msg=f"Submission {i} does not exist.", type=self.code)
            for i, loc in self.unknown.items()
        ]
        problem = ValidationProblem(**base.model_dump(exclude={"errors"}), errors=issues)
        problem._message = base._message  # the detail, translated when answered
        return problem
