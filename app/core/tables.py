"""What every table shares: the constraint naming convention and UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow

# Set before the first table is declared so every constraint and index gets a stable name
# that Alembic can create, compare and drop on both SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Options only making the schema reads (`sqlite_autoincrement`, `sqlite_where`, …) wait in
# `info` until alembic/env.py puts them in place: SQLAlchemy checks one by importing its
# dialect, which a server of the other database never uses (SQLite's: 0.7 MiB).
SCHEMA_ONLY = "schema_only"


def where(condition: str) -> dict[str, Any]:
    """A partial index's condition, the same on both databases."""
    options = {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}
    return {"info": {SCHEMA_ONLY: options}}


# Ids are never reused on SQLite either (as on PostgreSQL): a deleted event's id must not
# come back as another event in someone's bookmarks or webhook logs.
AUTOINCREMENT = {"info": {SCHEMA_ONLY: {"sqlite_autoincrement": True}}}


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    PostgreSQL stores `timestamptz`, read in UTC by the app's connections; SQLite has no time
    zones, so naive UTC is stored there and the zone is put back on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        if dialect.name == "postgresql":  # in UTC already: app.core.db sets the connections'
            return None  # TimeZone (a Python call per value less)
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: Any, _dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)  # SQLite's naive UTC


def created_at_field() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def timestamp_field(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def one_of(column: str, values: type[StrEnum]) -> str:
    """The SQL of a CHECK constraint: the column holds one of the enum's values."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class HasId(Protocol):
    @property
    def id(self) -> int | None: ...


def id_of(row: HasId) -> int:
    """The id of a row read back or flushed, which always has one: the column is typed
    optional only because a row has none until it is inserted."""
    assert row.id is not None
    return row.id
