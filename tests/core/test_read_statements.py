"""A read model's statement run on the driver's cursor (app.readmodels.ReadStatement) gives
the rows SQLAlchemy's execute gives, tells the statement listeners, and fails as
SQLAlchemy's execute fails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from app.core.db import read_only
from app.models import Member
from app.readmodels import ReadStatement
from tests.conftest import is_postgres
from tests.factories import make_member

MEMBERS = cast(sa.Table, Member.__table__)  # type: ignore[attr-defined]

# Columns of every kind the read models read: integers, text, a boolean, JSON, a timestamp
# (converted on SQLite), a null one, and an expression of their own.
_PROFILES = (
    sa.select(
        MEMBERS.c.id,
        MEMBERS.c.handle,
        MEMBERS.c.is_active,
        MEMBERS.c.links,
        MEMBERS.c.joined_at,
        MEMBERS.c.hidden_at,
        (MEMBERS.c.points + 1).label("points_and_one"),
    )
    .where(
        MEMBERS.c.id.in_(sa.bindparam("ids", expanding=True)),
        MEMBERS.c.joined_at <= sa.bindparam("before", type_=MEMBERS.c.joined_at.type),
    )
    .order_by(MEMBERS.c.id)
    .limit(2)  # a value of the statement's own
)


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with read_only(engine).connect() as opened:
        yield opened


@pytest.fixture
def member_ids(app: FastAPI) -> list[int]:
    members = [make_member(app, links=[f"https://example.com/{n}"]) for n in range(3)]
    return [cast(int, member.id) for member in members]


def test_rows_are_those_of_sqlalchemy(connection: Connection, member_ids: list[int]) -> None:
    statement = ReadStatement(_PROFILES)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    for ids in ([member_ids[0]], member_ids, [*member_ids, 10**9], []):
        values = {"ids": ids, "before": tomorrow}
        expected = connection.execute(_PROFILES, values)
        rows = statement.rows(connection, values)
        assert statement.keys == tuple(expected.keys())
        assert [row._mapping for row in rows] == [row._mapping for row in expected]
    first = statement.first(connection, {"ids": member_ids, "before": tomorrow})
    assert first is not None
    assert first.joined_at.tzinfo is not None
    assert first.links == ["https://example.com/0"]
    assert first.is_active is True
    assert (
        statement.first(connection, {"ids": member_ids, "before": tomorrow - timedelta(days=9)})
        is None
    )


def test_scalar_is_the_first_column_of_the_first_row(
    connection: Connection, member_ids: list[int]
) -> None:
    handle = ReadStatement(sa.select(MEMBERS.c.handle).where(MEMBERS.c.id == sa.bindparam("id")))
    expected = connection.execute(handle.statement, {"id": member_ids[1]}).scalar()
    assert handle.scalar(connection, {"id": member_ids[1]}) == expected is not None
    assert handle.scalar(connection, {"id": 10**9}) is None


def test_the_statement_listeners_are_told(connection: Connection, engine: Engine) -> None:
    told: list[tuple[str, str, Any]] = []

    def before(_c: Any, _cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        told.append(("before", sql, parameters))

    def after(_c: Any, _cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        told.append(("after", sql, parameters))

    statement = ReadStatement(sa.select(MEMBERS.c.id).where(MEMBERS.c.id == sa.bindparam("id")))
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        statement.rows(connection, {"id": 7})
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    assert [when for when, _, _ in told] == ["before", "after"]
    assert all("FROM members" in sql for _, sql, _ in told)
    assert all(
        7 in (parameters.values() if isinstance(parameters, dict) else parameters)
        for _, _, parameters in told
    )


def test_a_failed_statement_raises_what_sqlalchemy_raises(connection: Connection) -> None:
    missing = sa.table("no_such_table", sa.column("id", sa.Integer))
    statement = ReadStatement(sa.select(missing.c.id))
    with pytest.raises(sa.exc.DBAPIError) as raised:
        statement.rows(connection)
    with pytest.raises(type(raised.value)):
        connection.execute(statement.statement)
    assert not raised.value.connection_invalidated
    assert "no_such_table" in str(raised.value)


@pytest.mark.skipif(not is_postgres(), reason="a connection the server can end: PostgreSQL")
def test_a_connection_lost_is_invalidated_and_the_next_read_reconnects(
    connection: Connection, engine: Engine, member_ids: list[int]
) -> None:
    statement = ReadStatement(sa.select(MEMBERS.c.id).where(MEMBERS.c.id == sa.bindparam("id")))
    # (Read as a read model reads: with no transaction of SQLAlchemy's begun, which a lost
    # connection would leave to roll back first.)
    backend = ReadStatement(sa.select(sa.func.pg_backend_pid())).scalar(connection)
    with engine.connect() as other:
        other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        other.commit()
    with pytest.raises(sa.exc.OperationalError) as raised:
        statement.rows(connection, {"id": member_ids[0]})
    assert raised.value.connection_invalidated
    assert connection.invalidated
    assert statement.scalar(connection, {"id": member_ids[0]}) == member_ids[0]
