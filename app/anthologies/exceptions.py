from __future__ import annotations

from app.core.errors import NotFound, Problem, Unprocessable, ValidationIssue, ValidationProblem


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
        noun = "Submission" if len(unknown) == 1 else "Submissions"
        verb = "does" if len(unknown) == 1 else "do"
        super().__init__(f"{noun} {ids} {verb} not exist.")
        self.unknown = unknown

    def to_problem(self) -> Problem:
        base = super().to_problem()
        issues = [
            ValidationIssue(loc=loc, msg=f"Submission {i} does not exist.", type=self.code)
            for i, loc in self.unknown.items()
        ]
        return ValidationProblem(**base.model_dump(exclude={"errors"}), errors=issues)
