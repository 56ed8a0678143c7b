"""The engine and the one unit of work per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, CursorResult, Engine, Result
from sqlmodel import Session, create_engine

from app.core.config import Settings
from app.core.errors import ProblemError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# On SQLite a write transaction must take the write lock when it begins (BEGIN IMMEDIATE):
# a deferred transaction that reads and then writes fails with "database is locked" when
# another writer got there first, instead of waiting its turn. Read-only requests begin
# deferred so they never wait for writers (WAL lets them read alongside).
READ_ONLY_OPTION = "sanggar_read_only"


def create_db_engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        return _create_sqlite_engine(settings)
    return create_engine(
        settings.database_url,
        # A request waiting on a row lock gives up after this long instead of hanging: with
        # every worker thread waiting, the lock holder could not get a thread to finish.
        connect_args={"options": f"-c lock_timeout={settings.database_lock_timeout_ms}"},
        pool_pre_ping=True,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )


def _create_sqlite_engine(settings: Settings) -> Engine:
    engine = create_engine(
        settings.database_url,
        connect_args={"check_same_thread": False, "timeout": 30},
        # No pool_pre_ping: a local file cannot restart under us, so the ping would only
        # cost a query per request. (PostgreSQL keeps it: the first request after a
        # server restart would fail without it.)
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy (see _on_begin) and configure the file.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def read_only(engine: Engine) -> Engine:
    """The same pool, with transactions that begin deferred on SQLite."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed after the handler, rolled back on any error.

    Declared with scope="function" so the commit happens before the response is sent: a
    commit that fails becomes an error response, never a 2xx for lost data.
    """
    state = request.app.state
    engine = state.read_engine if request.method in SAFE_METHODS else state.engine
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except ProblemError as error:
            # Some refusals must still be recorded (a reused refresh token revokes its chain).
            if error.persist_changes:
                session.commit()
            else:
                session.rollback()
            raise
        except BaseException:
            session.rollback()
            raise
        else:
            session.commit()


def rows_affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (the decider of every conditional write)."""
    return cast(CursorResult[Any], result).rowcount


def upsert_insert(session: Session, table: Any) -> Any:
    """An INSERT that understands ON CONFLICT, in the dialect of the session's database."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
