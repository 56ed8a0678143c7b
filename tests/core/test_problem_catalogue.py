"""The problem catalogue describes every code the API can answer with, and only those."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI

from app.core.errors import ProblemError
from app.core.problem_catalogue import CATALOGUE

# Codes the error handlers give to the framework's own errors, which have no class.
FRAMEWORK_CODES = {"method_not_allowed": 405}


def _error_classes() -> list[type[ProblemError]]:
    """Every error class of the app (tests define some of their own)."""
    found: list[type[ProblemError]] = [ProblemError]
    for cls in found:
        found += [sub for sub in cls.__subclasses__() if sub not in found]
    return [cls for cls in found if cls.__module__.startswith("app.")]


def test_every_error_class_is_in_the_catalogue_with_its_status(app: FastAPI) -> None:
    # `app` has imported every feature, so every error class exists.
    codes = {(cls.code, cls.status, cls.__qualname__) for cls in _error_classes()}
    missing = sorted(f"{name}: {code}" for code, _, name in codes if code not in CATALOGUE)
    assert not missing, f"describe these codes in app/core/problem_catalogue.py: {missing}"
    wrong = sorted(
        f"{name}: {code} is {status}, the catalogue says {CATALOGUE[code].status}"
        for code, status, name in codes
        if CATALOGUE[code].status != status
    )
    assert not wrong, wrong


def test_the_catalogue_describes_no_code_the_api_cannot_answer(app: FastAPI) -> None:
    answered = {cls.code for cls in _error_classes()} | FRAMEWORK_CODES.keys()
    assert sorted(CATALOGUE.keys() - answered) == []


def test_every_entry_is_written_out() -> None:
    for problem in CATALOGUE.values():
        assert problem.title and problem.title[0].isupper(), problem
        assert problem.description.endswith("."), problem
        assert 400 <= HTTPStatus(problem.status).value < 600, problem
