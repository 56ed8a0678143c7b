"""The engine and the one unit of work per request."""

from __future__ import annotations

import functools
import importlib
import inspect
import select
from collections.abc import AsyncIterator, Callable, Hashable, Iterable
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, CursorResult, Engine, Result
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, create_engine

from app.core.config import Settings
from app.core.errors import CommitOutcomeUnknown, ProblemError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
T = TypeVar("T")

# On SQLite a write transaction must take the write lock when it begins (BEGIN IMMEDIATE):
# a deferred transaction that reads and then writes fails with "database is locked" when
# another writer got there first, instead of waiting its turn. Read-only requests begin
# deferred so they never wait for writers (WAL lets them read alongside).
READ_ONLY_OPTION = "sanggar_read_only"
STATEMENTS = "statements"  # its value for reads with no transaction (app.readmodels)


def create_db_engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        return _create_sqlite_engine(settings)
    from app.core.pg_cursor import Cursor

    engine = create_engine(
        settings.database_url,
        connect_args={
            # A request waiting on a row lock gives up after this long instead of hanging:
            # with every worker thread waiting, the lock holder could not get a thread.
            # Timestamps come back in UTC, as UTCDateTime gives them (app.core.tables).
            "options": f"-c lock_timeout={settings.database_lock_timeout_ms} -c timezone=UTC",
            "cursor_factory": Cursor,
        },
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    event.listen(engine, "checkout", _refuse_a_closed_connection)
    event.listen(engine, "engine_connect", _autocommit_if_read_only)
    _listeners(engine)  # before any engine is made from it, so that they share its listeners
    return engine


def _refuse_a_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Pessimistic disconnect handling without a round trip (SQLAlchemy's pool_pre_ping
    sends a query on every checkout: a third round trip for a one-row GET, and the server's
    CPU on a shared machine). An idle connection has nothing to read: a server going down
    sends its connections a FATAL message and closes them, so a socket that is readable
    (or already gone) is dead, and the pool replaces it before the request uses it. A
    readable socket of a live connection (a rare asynchronous notice) only costs a reconnect."""
    if idle_connection_is_dead(dbapi_connection):
        raise exc.DisconnectionError("the server closed the connection while it was idle")
    if dbapi_connection.autocommit:  # as a read left it (below); a reconnect checks out too
        dbapi_connection.autocommit = False


def _autocommit_if_read_only(connection: Connection) -> None:
    """A read engine's connection (`read_only`) in autocommit, set on the driver: SQLAlchemy's
    isolation_level option set it and reset it at each checkout and return (52 µs against 18)."""
    if connection.get_execution_options().get(READ_ONLY_OPTION) is True:
        connection.connection.dbapi_connection.autocommit = True  # type: ignore[union-attr]


def idle_connection_is_dead(dbapi_connection: Any) -> bool:
    """A PostgreSQL connection, idle, that the server closed (`_refuse_a_closed_connection`)."""
    return bool(dbapi_connection.closed or _has_input(dbapi_connection.pgconn.socket))


def _has_input(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def _create_sqlite_engine(settings: Settings) -> Engine:
    engine = create_engine(
        settings.database_url,
        connect_args={"check_same_thread": False, "timeout": 30},
        # No disconnect check: a local file cannot restart under us. (PostgreSQL checks
        # each connection it hands out: _refuse_a_closed_connection.)
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
        if read_only != STATEMENTS:  # else each statement reads alone, as on PostgreSQL
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    _listeners(engine)  # before any engine is made from it, so that they share its listeners
    return engine


def read_only(engine: Engine) -> Engine:
    """The same pool, for work that only reads (every GET: what a GET writes, it writes in a
    Session of its own). On SQLite its transactions begin deferred. On PostgreSQL each
    statement commits by itself (`_autocommit_if_read_only`): at READ COMMITTED each reads
    its own snapshot inside a transaction too, so BEGIN and COMMIT would add two round trips."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed after the handler, rolled back on any error.

    Declared with scope="function" so the commit happens before the response is sent: a
    commit that fails becomes an error response, never a 2xx for lost data. The Session is
    made here, on the event loop: it connects only at its first statement, in a worker
    thread, so making it needs no hop to the thread pool. A handler routed through
    `UnitOfWorkRoute` ends the transaction in its own thread; what is left to end here (a
    handler that never ran, work done after it) is ended in one more hop.
    """
    state = request.app.state
    engine = state.read_engine if request.method in SAFE_METHODS else state.engine
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    except BaseException as error:
        await _end_and_close(session, error)
        raise
    else:
        await _end_and_close(session, None)


async def _end_and_close(session: Session, error: BaseException | None) -> None:
    if session.in_transaction():
        await run_in_threadpool(end_transaction, session, error)
    session.close()  # no transaction left: nothing to say to the database


def end_transaction(session: Session, error: BaseException | None) -> None:
    """Commit the request's work, or roll it back when it failed.

    Some refusals must still be recorded (a reused refresh token revokes its chain): a
    ProblemError with `persist_changes` is committed like a success.
    """
    if not session.in_transaction():
        return
    if error is not None and not (isinstance(error, ProblemError) and error.persist_changes):
        session.rollback()
        return
    try:
        session.flush()  # a statement that fails here has not committed anything
        _commit(session)
    except BaseException:
        session.rollback()
        raise


def _commit(session: Session) -> None:
    """COMMIT, told apart from what comes before it: a connection lost while the COMMIT
    was on its way leaves its outcome unknown (the server may have committed and died
    before answering), and a client that retries without its Idempotency-Key may create
    twice. Such a failure is `CommitOutcomeUnknown`, not the `database_unavailable` that
    promises nothing was changed."""
    try:
        session.commit()
    except exc.DBAPIError as error:
        if error.connection_invalidated:
            raise CommitOutcomeUnknown from error
        raise


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

# --- what a commit tells the rest of the process ------------------------------------------
#
# Some of what a process keeps in memory is derived from rows (who a token belongs to:
# app.principal). A service that changes such rows says so on its Session
# (`tell_after_commit`); the listeners of the Session's engine (`listen_after_commit`) hear
# it once the database has committed, so that a lookup after them reads the new rows, and
# never when the transaction rolls back. Core knows no listener: each registers its own.

_NOTES = "sanggar_after_commit"  # in Session.info: topic -> items noted
_LISTENERS = "sanggar_after_commit_listeners"  # an engine's execution option: topic -> listeners

AfterCommitListener = Callable[[frozenset[Hashable]], None]


def listen_after_commit(engine: Engine, topic: str, listener: AfterCommitListener) -> None:
    """Calls `listener(items)` after every committed transaction of a Session on `engine`
    (or on an engine made from it with `execution_options`, such as `read_only(engine)`)
    that noted `items` under `topic` (all its notes at once, each item once)."""
    _listeners(engine).setdefault(topic, []).append(listener)


def _listeners(engine: Engine) -> dict[str, list[AfterCommitListener]]:
    """The engine's listeners, kept in an execution option: the engines made from it with
    `execution_options()` inherit the same dict, and `Engine.dispose()` keeps it."""
    found: dict[str, list[AfterCommitListener]] | None = engine.get_execution_options().get(
        _LISTENERS
    )
    if found is None:
        found = {}
        engine.update_execution_options(**{_LISTENERS: found})
    return found


def tell_after_commit(session: Session, topic: str, items: Iterable[Hashable]) -> None:
    """Leaves `items` under `topic` for the listeners of the Session's engine, told once its
    transaction has committed. A rollback drops them, but a savepoint's does not: being told
    of a change that did not happen only costs a listener a second look."""
    if not session.in_transaction():
        session.begin()  # as a statement would: the notes end with the transaction
    notes: dict[str, set[Hashable]] = session.info.setdefault(_NOTES, {})
    notes.setdefault(topic, set()).update(items)


@event.listens_for(OrmSession, "after_commit")
def _tell_listeners(session: OrmSession) -> None:
    if session.in_nested_transaction():  # a savepoint released: not committed yet
        return
    notes: dict[str, set[Hashable]] | None = session.info.pop(_NOTES, None)
    if not notes:
        return
    listeners = session.get_bind().get_execution_options().get(_LISTENERS, {})
    for topic, items in notes.items():
        for listener in listeners.get(topic, ()):
            listener(frozenset(items))


@event.listens_for(OrmSession, "after_transaction_end")
def _drop_notes_of_a_rollback(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost: a commit has told its notes already
        session.info.pop(_NOTES, None)


# --- reads that run on the event loop ------------------------------------------------------
#
# A hop to a worker thread is a hand-off through a queue, a thread wake-up and a turn of the
# event loop: more CPU (context switches) than a read of one row or one keyset page costs
# (the figures: bench/ANALYSIS.md, "Figures behind code comments"). On SQLite a read
# never waits (WAL: readers take no lock a writer holds), so such a read is plain CPU work,
# as cheap on the event loop as anywhere; it runs there. PostgreSQL answers over a socket,
# and a read may wait (a migration's lock): there every request keeps its worker thread.

_QUICK_READ = "__sanggar_quick_read__"
Handler = TypeVar("Handler", bound=Callable[..., Any])


def quick_read() -> Callable[[Handler], Handler]:
    """Marks a handler that only reads, a few index lookups whatever the data size (one row,
    a keyset page): on SQLite it runs on the event loop (see above)."""

    def mark(handler: Handler) -> Handler:
        setattr(handler, _QUICK_READ, True)
        return handler

    return mark


def sqlite_reads_only(session: Session) -> bool | None:
    """None off SQLite; else whether the request's Session only reads (never the write lock)."""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return None
    return bool(bind.get_execution_options().get(READ_ONLY_OPTION, False))


def holds_write_lock(session: Session) -> bool:
    """A write request on SQLite: its transaction took the database's one write lock when it
    began (BEGIN IMMEDIATE), so nothing it reads can change before it commits, and what
    PostgreSQL must re-read under a row lock needs no second read here."""
    return sqlite_reads_only(session) is False


async def quickly(session: Session, work: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`work(*args, **kwargs)`, a quick read on `session`: on the event loop on SQLite,
    else in a worker thread (for dependencies; handlers are marked with `quick_read`)."""
    if sqlite_reads_only(session):  # True: reads SQLite, never taking its write lock
        return work(*args, **kwargs)
    return await run_in_threadpool(work, *args, **kwargs)


# The parameter UnitOfWorkRoute adds to a handler's signature to receive the request's Session.
_UNIT_OF_WORK = "_unit_of_work"


class UnitOfWorkRoute(APIRoute):
    """Runs a sync handler and the end of its transaction in one hop to the worker threads.

    FastAPI runs a sync handler in a worker thread, then the end of a `yield` dependency
    (the commit) in another, and validates a returned model in a third: each hop is a
    hand-off through a queue, a thread wake-up and a turn of the event loop, and with
    dozens of requests in flight each waits for the GIL. Here the handler becomes an async
    one that makes a single hop, in which the handler runs and the transaction is ended
    exactly as `get_session` would end it; `get_session` then finds nothing left to do. The
    handler's signature (and so its parameters, dependencies and OpenAPI) is unchanged but
    for one hidden dependency on the request's Session (the one every dependency shares).

    It also means no handler waits for a worker thread while its transaction holds a row
    lock: the lock is taken and released (by the commit) within the one hop, and FastAPI
    validates and serializes the returned model afterwards, on the event loop (it does so
    inline for an async handler, which this one is). With more writers on one row than
    threads, a lock holder that needed a second hop would wait for a thread held by the
    writers waiting for its lock (tests/core/test_row_lock_writers.py). A handler therefore
    returns its model, and never needs to render its own answer."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        # Async handlers make no hop; generator handlers (streamed answers) are left to FastAPI.
        plain = not (inspect.iscoroutinefunction(endpoint) or inspect.isgeneratorfunction(endpoint))
        if plain and not inspect.isasyncgenfunction(endpoint):
            endpoint = _in_one_hop(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _in_one_hop(handler: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(handler, eval_str=True)
    if _UNIT_OF_WORK in signature.parameters:
        raise TypeError(f"{handler.__qualname__} must not name a parameter {_UNIT_OF_WORK}")
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()):
        raise TypeError(f"{handler.__qualname__}: **kwargs handlers are not supported")

    def run(session: Session, values: dict[str, Any]) -> Any:
        try:
            result = handler(**values)
        except BaseException as error:
            end_transaction(session, error)
            raise
        end_transaction(session, None)
        return result

    quick: bool = getattr(handler, _QUICK_READ, False)

    @functools.wraps(handler)
    async def in_one_hop(**values: Any) -> Any:
        session = values.pop(_UNIT_OF_WORK)
        if quick and sqlite_reads_only(session):
            return run(session, values)
        return await run_in_threadpool(run, session, values)

    hidden = inspect.Parameter(_UNIT_OF_WORK, inspect.Parameter.KEYWORD_ONLY, annotation=SessionDep)
    in_one_hop.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), hidden]
    )
    return in_one_hop


# For UPDATEs and DELETEs that change counters in SQL: the ORM must not try to mirror those
# changes in the objects it holds in memory.
NO_SYNC = {"synchronize_session": False}


def rows_affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (the decider of every conditional write)."""
    return cast(CursorResult[Any], result).rowcount


def upsert_insert(session: OrmSession | str, table: Any) -> Any:
    """An INSERT with ON CONFLICT in the session's or named dialect (only its module loaded)."""
    dialect = session if isinstance(session, str) else session.get_bind().dialect.name
    return importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert(table)
