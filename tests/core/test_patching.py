"""PATCH bodies: fields that may be left out but never be null say so in the schema too."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from app.challenges.schemas import ChallengeUpdate
from app.core.types import NON_BLANK_TEXT_PATTERN, TITLE_PATTERN
from app.members.schemas import MemberUpdate


def test_a_not_nullable_field_is_refused_as_null_and_published_without_null(
    app: FastAPI,
) -> None:
    with pytest.raises(ValidationError, match="title cannot be null"):
        ChallengeUpdate.model_validate({"title": None})
    assert ChallengeUpdate.model_validate({}).model_fields_set == set()
    schemas = app.openapi()["components"]["schemas"]
    title = schemas["ChallengeUpdate"]["properties"]["title"]
    assert "anyOf" not in title
    assert title["type"] == "string"
    assert schemas["MemberAdminUpdate"]["properties"]["role"] == {
        "$ref": "#/components/schemas/Role"
    }


def test_a_nullable_field_keeps_null(app: FastAPI) -> None:
    # `city: null` clears the city.
    assert MemberUpdate.model_validate({"city": None}).city is None
    city = app.openapi()["components"]["schemas"]["MemberUpdate"]["properties"]["city"]
    assert {"type": "null"} in city["anyOf"]


@pytest.mark.parametrize("pattern", [TITLE_PATTERN, NON_BLANK_TEXT_PATTERN])
@pytest.mark.parametrize("value", ["\u0096", " \x85 ", "\x07", " \t "])
def test_non_blank_patterns_refuse_what_the_validators_refuse(pattern: str, value: str) -> None:
    """A control character is not white space, so `\\S` alone would have matched it."""
    assert re.fullmatch(pattern, value) is None


@pytest.mark.parametrize("pattern", [TITLE_PATTERN, NON_BLANK_TEXT_PATTERN])
def test_non_blank_patterns_accept_words(pattern: str) -> None:
    assert re.fullmatch(pattern, "  Pasar pagi  ")
