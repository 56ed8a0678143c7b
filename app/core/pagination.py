"""Keyset (cursor) pagination: the cost of a page never grows with its depth.

A list is ordered by one or more non-null columns ending in a unique one (usually `id`).
The cursor is the sort key of the last row served, encoded opaquely; the next page asks for
rows strictly after it, which an index answers without skipping anything (no OFFSET).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy.engine import Connection
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session

from app.core.errors import BadRequest
from app.core.jsonutil import dumps, loads
from app.core.openapi import declares
from app.i18n import N_

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class InvalidCursor(BadRequest):
    code = "invalid_cursor"


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


# Dependencies that do no I/O are async: a sync one costs a hop to the thread pool.
@declares(400)
async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Items per page (1–100).")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=512, description="`next_cursor` from the previous page.")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


PageParamsDep = Annotated[PageParams, Depends(page_params)]


@dataclass(frozen=True)
class SortKey:
    column: InstrumentedAttribute[Any]
    descending: bool = False

    @property
    def name(self) -> str:
        return self.column.key


def asc(column: Any) -> SortKey:
    return SortKey(column)


def desc(column: Any) -> SortKey:
    return SortKey(column, descending=True)


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [value.isoformat() if isinstance(value, datetime) else value for value in values]
    return base64.urlsafe_b64encode(dumps(plain)).decode().rstrip("=")


def _decode_values(cursor: str, length: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError) as error:
        raise InvalidCursor(N_("The cursor is not one this API issued.")) from error
    if not isinstance(values, list) or len(values) != length:
        raise InvalidCursor(N_("The cursor is not one this API issued."))
    return values


def decode_cursor(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
    values = _decode_values(cursor, len(keys))
    return [_coerce(value, key) for value, key in zip(values, keys, strict=True)]


def _coerce(value: Any, key: SortKey) -> Any:
    column_type = key.column.type
    python_type = (
        column_type.impl.python_type
        if isinstance(column_type, sa.TypeDecorator)
        else column_type.python_type
    )
    if python_type is datetime and isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as error:
            raise InvalidCursor(N_("The cursor is not one this API issued.")) from error
        if parsed.tzinfo is not None:
            try:  # a forged offset near datetime's limits must not overflow in the query
                return parsed.astimezone(UTC)
            except OverflowError as error:
                raise InvalidCursor(N_("The cursor is not one this API issued.")) from error
    if python_type is bool and isinstance(value, bool):  # e.g. pinned-first lists
        return value
    if python_type is int and isinstance(value, int) and not isinstance(value, bool):
        if abs(value) < 2**63:
            return value
    elif python_type is str and isinstance(value, str) and "\x00" not in value:
        return value
    raise InvalidCursor(N_("The cursor is not one this API issued."))


def _after(keys: Sequence[SortKey], values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """Rows strictly after `values` in the order of `keys` (mixed directions allowed)."""
    if len(keys) > 1 and _one_direction(keys) and not any(isinstance(v, bool) for v in values):
        # A row value, `(a, b) < (x, y)`: both databases read it as one range of an index on
        # (…, a, b), so a deep page costs what the first does; the OR below may scan.
        columns = sa.tuple_(*(key.column for key in keys))
        bound = sa.tuple_(
            *(sa.literal(v, type_=k.column.type) for k, v in zip(keys, values, strict=True))
        )
        return columns < bound if keys[0].descending else columns > bound
    alternatives = []
    # SQLAlchemy compares booleans only with = and !=, unless they are bound parameters.
    values = [sa.literal(v) if isinstance(v, bool) else v for v in values]
    for index, key in enumerate(keys):
        equal_prefix = [k.column == v for k, v in zip(keys[:index], values[:index], strict=True)]
        beyond = key.column < values[index] if key.descending else key.column > values[index]
        alternatives.append(sa.and_(*equal_prefix, beyond))
    return sa.or_(*alternatives)


def _one_direction(keys: Sequence[SortKey]) -> bool:
    return len({key.descending for key in keys}) == 1


def paginate(
    session: Session, statement: sa.Select[Any], *, keys: Sequence[SortKey], params: PageParams
) -> tuple[list[Any], str | None]:
    """Run one page of `statement`; returns its rows and the cursor of the next page."""
    statement = _page_statement(statement, keys=keys, params=params)
    rows = list(session.scalars(statement))
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    last = rows[-1]
    return rows, encode_cursor([getattr(last, key.name) for key in keys])


def paginate_rows(
    session: Session | Connection,
    statement: sa.Select[Any],
    *,
    keys: Sequence[SortKey],
    params: PageParams,
) -> tuple[list[sa.Row[Any]], str | None]:
    """`paginate` for a statement of several columns ordered by computed ones (a ranking):
    each key is a labelled column of the statement, read back from the last row by name."""
    statement = _page_statement(statement, keys=keys, params=params)
    rows = list(session.execute(statement))
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    last = rows[-1]._mapping
    return rows, encode_cursor([last[key.name] for key in keys])


def _page_statement(
    statement: sa.Select[Any], *, keys: Sequence[SortKey], params: PageParams
) -> sa.Select[Any]:
    """The rows after the cursor, in the keys' order, one more than a page (is there more?)."""
    if params.cursor is not None:
        statement = statement.where(_after(keys, decode_cursor(params.cursor, keys)))
    order = [key.column.desc() if key.descending else key.column.asc() for key in keys]
    return statement.order_by(*order).limit(params.limit + 1)


def paginate_catalogue(
    items: Sequence[T], *, key: Callable[[T], str], params: PageParams
) -> tuple[list[T], str | None]:
    """One page of a fixed list the code defines (a catalogue), in its order. The cursor is
    the key of the last item served, as for a table, so a client pages it like any list."""
    start = 0
    if params.cursor is not None:
        (last,) = _decode_values(params.cursor, 1)
        keys = [key(item) for item in items]
        if last not in keys:
            raise InvalidCursor(N_("The cursor is not one this API issued."))
        start = keys.index(last) + 1
    page = list(items[start : start + params.limit])
    if start + params.limit >= len(items):
        return page, None
    return page, encode_cursor([key(page[-1])])
