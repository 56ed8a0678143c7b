"""Field types shared by every input model and parameter.

Strings refuse NUL, other control characters and lone surrogates: PostgreSQL rejects NUL
(a 500 if it got that far) and cannot encode a lone surrogate, while SQLite would quietly
store them. Integers that reach the database stay inside its column range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, TypeVar

from fastapi import Path
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    HttpUrl,
    Strict,
    StringConstraints,
    TypeAdapter,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

# C0 controls except tab/newline/carriage return, DEL, C1 controls, and UTF-16 surrogates.
_FORBIDDEN_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_FORBIDDEN_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")

MAX_INT = 2_147_483_647

# The same rules for the published schema (JSON Schema / ECMA-262 patterns), so that clients
# and fuzzers know what is refused; lone surrogates cannot be written in JSON text anyway.
_TEXT_CHAR = r"[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]"
_LINE_CHAR = r"[^\u0000-\u001f\u007f-\u009f\u2028\u2029]"
TEXT_PATTERN = f"^{_TEXT_CHAR}*$"
LINE_PATTERN = f"^{_LINE_CHAR}*$"
# One line, or prose, with something other than white space in it. Not `\S`: a control
# character is not white space either, so `\S` would let a generator draw one there.
_VISIBLE_LINE_CHAR = r"[^\s\u0000-\u001f\u007f-\u009f\u2028\u2029]"
_VISIBLE_TEXT_CHAR = r"[^\s\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]"
TITLE_PATTERN = f"^{_LINE_CHAR}*{_VISIBLE_LINE_CHAR}{_LINE_CHAR}*$"
NON_BLANK_TEXT_PATTERN = f"^{_TEXT_CHAR}*{_VISIBLE_TEXT_CHAR}{_TEXT_CHAR}*$"

_When = TypeVar("_When", date, datetime)


@dataclass(frozen=True)
class _Documented:
    """Adds a `pattern` to the JSON schema only; the validators above do the refusing."""

    pattern: str

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema


def _clean_text(value: str) -> str:
    if _FORBIDDEN_IN_TEXT.search(value):
        raise ValueError("must not contain control characters")
    return value


def _clean_line(value: str) -> str:
    if isinstance(value, str) and _FORBIDDEN_IN_LINE.search(value):
        raise ValueError("must be one line without control characters")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as error:  # e.g. year 1 at +01:00 has no UTC equivalent
        raise ValueError("is out of the supported range") from error


# Multi-line prose (bio, description, body): newlines and tabs allowed.
Text = Annotated[str, AfterValidator(_clean_text), _Documented(TEXT_PATTERN)]
# A single line (name, title, city, a filter value), surrounding spaces stripped.
Line = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    # Before stripping: a control character at either end (NEL is white space) is refused too.
    BeforeValidator(_clean_line),
    _Documented(LINE_PATTERN),
]
# A single line that must say something.
Title = Annotated[Line, AfterValidator(_not_blank), _Documented(TITLE_PATTERN)]
# Prose that must say something (a post, a comment, a message).
NonBlankText = Annotated[Text, AfterValidator(_not_blank), _Documented(NON_BLANK_TEXT_PATTERN)]

# RFC 3339, as JSON Schema's `date-time` and `date` formats mean it: pydantic alone would
# also take "0.5" or 1700000000 as a Unix time, which the published schema refuses.
_RFC3339_DATE = r"\d{4}-\d{2}-\d{2}"
_RFC3339_TIME = r"[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"
_DATE_TIME_TEXT = re.compile(_RFC3339_DATE + _RFC3339_TIME)
_DATE_TEXT = re.compile(_RFC3339_DATE)


def _date_time_text(value: object) -> object:
    if isinstance(value, datetime) or (isinstance(value, str) and _DATE_TIME_TEXT.fullmatch(value)):
        return value
    raise ValueError("must be an RFC 3339 date-time such as 2026-12-01T19:00:00+07:00")


def _date_text(value: object) -> object:
    if isinstance(value, date) or (isinstance(value, str) and _DATE_TEXT.fullmatch(value)):
        return value
    raise ValueError("must be an RFC 3339 date such as 2026-12-01")


# A body's boolean is JSON `true` or `false`: pydantic would also take 0, 1 and 0.0, which
# the published `"type": "boolean"` refuses (schemathesis found it). Not for query strings.
Flag = Annotated[bool, Strict()]

# A calendar day written as RFC 3339 (`2026-12-01`), not a number.
CalendarDate = Annotated[date, BeforeValidator(_date_text)]

# Any RFC 3339 offset in, UTC out; a time without an offset is refused.
UTCTimestamp = Annotated[AwareDatetime, BeforeValidator(_date_time_text), AfterValidator(_to_utc)]

EARLIEST_YEAR, LATEST_YEAR = 1970, 2199


def _in_supported_years(value: _When) -> _When:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


# When something is scheduled (events, challenges, due dates): series step dates by up to
# 52 months and add durations, so values stay far from datetime's limits (an overflow
# inside a service would be a 500). The year is the one written (before the move to UTC),
# so that the published pattern states the rule exactly.
_SUPPORTED_YEAR = r"(19[7-9][0-9]|2[01][0-9]{2})"
_MONTH_DAY = r"-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_HOUR_MINUTE = r"([01][0-9]|2[0-3]):[0-5][0-9]"
_CLOCK = rf"[Tt]{_HOUR_MINUTE}:[0-5][0-9](\.[0-9]+)?([Zz]|[+-]{_HOUR_MINUTE})"
SCHEDULE_DATE_PATTERN = f"^{_SUPPORTED_YEAR}{_MONTH_DAY}$"
SCHEDULE_TIME_PATTERN = f"^{_SUPPORTED_YEAR}{_MONTH_DAY}{_CLOCK}$"
ScheduleTime = Annotated[
    AwareDatetime,
    BeforeValidator(_date_time_text),
    AfterValidator(_in_supported_years),
    AfterValidator(_to_utc),
    _Documented(SCHEDULE_TIME_PATTERN),
]
ScheduleDate = Annotated[
    CalendarDate, AfterValidator(_in_supported_years), _Documented(SCHEDULE_DATE_PATTERN)
]

PositiveInt = Annotated[int, Field(ge=1, le=MAX_INT)]
IdPath = Annotated[int, Path(ge=1, le=MAX_INT, description="Integer id.")]


_HTTP_URL = TypeAdapter(HttpUrl)


def _http_url(value: str) -> str:
    _clean_line(value)
    return str(_HTTP_URL.validate_python(value))


# An http(s) URL, kept as the string it normalises to.
WebUrl = Annotated[
    str,
    StringConstraints(max_length=2048, pattern=r"^[hH][tT][tT][pP][sS]?://"),
    AfterValidator(_http_url),
]
