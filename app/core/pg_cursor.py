"""The cursor class of PostgreSQL connections (imported only when the database is PostgreSQL).

psycopg builds a `Column` object for every column each time a cursor's `description` is
read, and SQLAlchemy reads it after every statement. Of a statement it has run before (all
of ours: they are built once) SQLAlchemy keeps the result's columns and only asks whether
rows came back, so here the `Column` objects are built when an item is first asked for,
which SQLAlchemy does, if at all, before the cursor runs anything else. The figure is in
docs/ARCHITECTURE.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

import psycopg
from psycopg import Column
from psycopg.pq import ExecStatus

_RETURNS_ROWS = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)


class Cursor(psycopg.Cursor[Any]):
    @property
    def description(self) -> Sequence[Column] | None:  # type: ignore[override]
        result = self.pgresult  # as psycopg decides (a "SELECT ;" returns rows of no column)
        if result is None or not (result.nfields or result.status in _RETURNS_ROWS):
            return None
        return _Columns(self, result.nfields)


class _Columns(Sequence[Column]):
    def __init__(self, cursor: Cursor, count: int) -> None:
        self._cursor = cursor
        self._count = count
        self._built: list[Column] | None = None

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Column: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Column]: ...
    def __getitem__(self, index: int | slice) -> Column | Sequence[Column]:
        if self._built is None:
            self._built = [Column(self._cursor, i) for i in range(self._count)]
        return self._built[index]
