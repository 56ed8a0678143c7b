"""What the app's PostgreSQL connections are set up with: the cursor of
app.core.pg_cursor, whose `description` says what psycopg's says, column for column, and
builds the columns only when asked for them; and the UTC time zone that lets UTCDateTime
leave psycopg's timestamps as they come."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from app.core import pg_cursor
from app.core.tables import UTCDateTime
from tests.conftest import is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="PostgreSQL's connections")

STATEMENTS = [
    "SELECT 1 AS one, 'a'::text AS letter, now() AS at, '[1]'::jsonb AS list",
    "SELECT",  # rows of no column: a description, empty
    "SELECT 1 WHERE false",  # no row, columns still described
    "CREATE TEMPORARY TABLE IF NOT EXISTS scratch (id int)",  # no rows: no description
    "INSERT INTO scratch VALUES (1)",
    "INSERT INTO scratch VALUES (2) RETURNING id",
]


def _our_cursor(connection: Connection) -> pg_cursor.Cursor:
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    assert isinstance(cursor, pg_cursor.Cursor)
    return cursor


def _described(cursor: psycopg.Cursor[object], statement: str) -> list[tuple[object, ...]] | None:
    cursor.execute(statement)
    description = cursor.description
    return None if description is None else [tuple(column) for column in description]


def test_description_matches_psycopgs_own(engine: Engine) -> None:
    with engine.connect() as connection:
        ours = _our_cursor(connection)
        plain = psycopg.Cursor(ours.connection)
        for statement in STATEMENTS:
            assert _described(ours, statement) == _described(plain, statement), statement
        connection.rollback()


def test_columns_are_built_only_when_read(engine: Engine) -> None:
    with engine.connect() as connection:
        cursor = _our_cursor(connection)
        cursor.execute("SELECT 1 AS one, 2 AS two")
        description = cursor.description
        assert isinstance(description, pg_cursor._Columns) and len(description) == 2
        assert description._built is None  # counted, not built
        assert [column.name for column in description] == ["one", "two"]
        assert description[-1].name == "two" and [c.name for c in description[:1]] == ["one"]


def test_sqlalchemy_results_keep_their_columns(engine: Engine) -> None:
    """A statement run twice: the second result reuses the first's columns (the case the
    lazy description is for), and the rows read the same."""
    query = sa.select(sa.literal(7).label("seven"), sa.literal("x").label("ex"))
    with engine.connect() as connection:
        first, second = (connection.execute(query).mappings().one() for _ in range(2))
    assert first == second == {"seven": 7, "ex": "x"}


def test_timestamps_come_back_in_utc(engine: Engine) -> None:
    """Not in the server's zone (Etc/UTC here, a ZoneInfo; anything elsewhere): the
    connection's, `datetime.timezone.utc`, which UTCDateTime then passes through."""
    moment = datetime(2026, 12, 6, 18, 30, 5, 123456, tzinfo=UTC)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW timezone").scalar() == "UTC"
        read = connection.execute(sa.select(sa.literal(moment, UTCDateTime()))).scalar()
    assert read == moment and read.tzinfo is UTC
