"""Details many problems share, one message each, so a catalogue translates the pattern once
(`Submission 5 does not exist.`) rather than once per kind of thing."""

from __future__ import annotations

from typing import TypeVar

from app.core.errors import ProblemError
from app.i18n import N_, message

Error = TypeVar("Error", bound=ProblemError)

DOES_NOT_EXIST = N_("{thing} {id} does not exist.")


def does_not_exist(error: type[Error], thing: str, id: object) -> Error:
    """`error` saying that `thing` (a marked noun: `N_("Submission")`) number `id` does not
    exist; the noun is translated with the sentence."""
    return error(DOES_NOT_EXIST, values={"thing": message(thing), "id": id})
