"""How a feature's read model (its `reads` module) runs: on a connection of the read engine,
with no ORM Session, on the event loop on SQLite and in a thread of the reads' own elsewhere.

A hot GET (one row, one keyset page) is a statement or two built once; what the ORM
Session added around them (its transaction bookkeeping, the commit of a request that wrote
nothing, the dependency that makes and ends it) cost as much as the statements. On SQLite
a read never waits (WAL: readers take no lock a writer holds), so it is plain CPU work, as
cheap on the event loop as anywhere (app.core.db, "reads that run on the event loop");
PostgreSQL answers over a socket, so there the read runs in a thread of the reads' own
(`KeptConnections`: asyncio's executor, a lighter hop than anyio's worker threads). The
connection is the read engine's (app.core.db.read_only), and on either database each
statement reads on its own, with no transaction around them (on SQLite, no BEGIN: a
twentieth of a one-row GET): a read model reads a row, or a page, and then what that row
or page needs, so a change between the two is one the next read shows. The connections
are kept for the next reads rather than checked out of the pool and back in: on the event
loop, SQLite's one (`_on_kept_connection`); PostgreSQL's, one per read at a time, in
`KeptConnections`. Their statements are `ReadStatement`s: compiled once, run on the
driver's cursor.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar, cast
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.engine.result import result_tuple
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import Session

from app.core.db import READ_ONLY_OPTION, STATEMENTS, idle_connection_is_dead
from app.core.errors import ProblemError

P = ParamSpec("P")
T = TypeVar("T")


async def read(
    request: Request,
    work: Callable[Concatenate[Connection, P], T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """`work(connection, *args, **kwargs)` on a connection of the app's read engine."""
    engine = _engine_of(request)
    if engine.dialect.name == "sqlite":
        return _on_kept_connection(request, work, args, kwargs)
    return await _kept_of(request).run_in_thread(work, args, kwargs)


async def read_in_thread(
    request: Request,
    work: Callable[Concatenate[Connection, P], T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """`read`, for a read that may walk many rows (a text filter): in a worker thread on
    every database, so that the event loop serves other requests meanwhile."""
    engine = _engine_of(request)
    if engine.dialect.name == "sqlite":
        return await run_in_threadpool(_on_connection, engine, work, args, kwargs)
    return await _kept_of(request).run_in_thread(work, args, kwargs)


def _kept_of(request: Request) -> KeptConnections:
    kept: KeptConnections = request.app.state.kept_read_connections
    return kept


# Each app's read engine, with no transactions on SQLite (made once, on first use).
_ENGINES: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def _engine_of(request: Request) -> Engine:
    read_engine: Engine = request.app.state.read_engine
    if read_engine.dialect.name != "sqlite":
        return read_engine  # PostgreSQL: already a statement at a time (autocommit)
    engine = _ENGINES.get(read_engine)
    if engine is None:
        engine = _ENGINES[read_engine] = read_engine.execution_options(
            **{READ_ONLY_OPTION: STATEMENTS}
        )
    return engine


def _on_connection(
    engine: Engine, work: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> T:
    with engine.connect() as connection:
        return work(connection, *args, **kwargs)


class KeptConnections:
    """PostgreSQL's read connections, open between reads: each read takes one (the newest,
    or a new one from the pool when none is free) and gives it back.

    A connection checked out of the pool and back in, with the transaction SQLAlchemy
    begins and ends around its statements (none reaches the server: the read engine is in
    autocommit), cost about as much CPU as a one-row read's statement; a connection kept
    costs a list's pop and append, and a poll of its socket (the pool's own check, that
    the server has not closed it: after a restart, each is found dead and replaced before
    it is used). At most `most` are kept; one more given back goes back to the pool. The
    pool is sized for them (Settings: `max_concurrent_requests` more connections).

    The reads run in `most` threads of their own, reached through asyncio's executor: a
    hop there cost about 30 µs less CPU than one to anyio's worker threads (its capacity
    limiter and cancel scope; docs/ARCHITECTURE.md).
    """

    def __init__(self, engine: Engine, most: int) -> None:
        self._engine = engine
        self._most = most
        self._free: list[Connection] = []
        self._giving_back = threading.Lock()
        self._threads = ThreadPoolExecutor(most, thread_name_prefix="sanggar-read")

    async def run_in_thread(
        self, work: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> T:
        """`run` in one of the reads' threads (with the request's context variables)."""
        in_context = contextvars.copy_context().run
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, in_context, self.run, work, args, kwargs)

    def run(self, work: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        connection = self._take()
        try:
            found = work(connection, *args, **kwargs)
        except ProblemError:  # a refusal (a 404): its statements ran to the end
            self._give_back(connection)
            raise
        except BaseException:
            connection.close()
            raise
        self._give_back(connection)
        return found

    def close(self) -> None:
        """At shutdown: the threads ended, every kept connection back to the pool. (Fresh
        threads are made for reads after it: a test may start an app's lifespan again.)"""
        self._threads.shutdown()
        self._threads = ThreadPoolExecutor(self._most, thread_name_prefix="sanggar-read")
        while (connection := self._pop()) is not None:
            connection.close()

    def _take(self) -> Connection:
        while (connection := self._pop()) is not None:
            if not idle_connection_is_dead(connection.connection.dbapi_connection):
                return connection
            connection.invalidate()
            connection.close()
        return self._engine.connect()

    def _pop(self) -> Connection | None:
        try:
            return self._free.pop()  # atomic: two threads never get the same one
        except IndexError:
            return None

    def _give_back(self, connection: Connection) -> None:
        with self._giving_back:
            if len(self._free) < self._most:
                self._free.append(connection)
                return
        connection.close()


# The connection an app keeps for its SQLite reads on the event loop, with the thread that
# keeps it (in the app's state: it goes with the app). Such a read runs from start to end
# with nothing else in between, so one connection serves them all; checking one out of the
# pool and back in, with the transaction SQLAlchemy begins and ends around it (no BEGIN is
# sent: see `_engine_of`), cost a tenth of a one-row GET. Its results are read to the end
# or closed before the read returns, so between reads it holds no snapshot of the database
# (a WAL reader stays current, and checkpoints pass). After a failed statement it is
# closed, and the next read makes another.
_KEPT = "sanggar_kept_read_connection"


def _on_kept_connection(
    request: Request, work: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> T:
    state = request.app.state
    thread = threading.get_ident()
    kept: tuple[int, Connection] | None = getattr(state, _KEPT, None)
    if kept is not None and kept[0] != thread:  # another loop's (tests run apps on several)
        return _on_connection(_engine_of(request), work, args, kwargs)
    connection = kept[1] if kept is not None else _engine_of(request).connect()
    setattr(state, _KEPT, (thread, connection))
    try:
        return work(connection, *args, **kwargs)
    except ProblemError:  # a refusal (a 404): its statements ran to the end
        raise
    except BaseException:
        setattr(state, _KEPT, None)
        connection.close()
        raise


# --- the statements ----------------------------------------------------------------------

Row = sa.Row[*tuple[Any, ...]]
Values = Mapping[str, Any]


class ReadStatement:
    """A read model's SELECT, compiled once for each database and run on the driver's cursor:
    its rows are SQLAlchemy `Row`s, as `Connection.execute` gives them.

    SQLAlchemy's execute of a statement built once still makes its cache key, an execution
    context, a transaction (none reaches the server: see `_engine_of`) and a result with its
    metadata, every time: for a one-row read, close to the CPU of psycopg's own execute and
    fetch (docs/ARCHITECTURE.md). Here what can be done once is done once: the SQL, the
    parameters' and the columns' conversions (each type's own, as SQLAlchemy would apply
    them), the rows' keys. What stays as with SQLAlchemy's execute: the listeners of
    `before_cursor_execute` and `after_cursor_execute` are told of each statement, with no
    execution context (the tests count statements with them), and a driver's error is
    raised as SQLAlchemy raises it (app.core.errors turns a lost connection into a 503),
    the connection invalidated when it was lost.
    """

    def __init__(self, statement: sa.Select[Any]) -> None:
        self.statement = statement
        self.keys: tuple[str, ...] = tuple(statement.selected_columns.keys())
        self._row = result_tuple(self.keys)
        self._compiled: dict[str, _Compiled] = {}  # by dialect name

    def rows(self, connection: Connection | Session, values: Values | None = None) -> list[Row]:
        """Its rows on a read model's connection; on a Session (a handler showing what it
        wrote) through the Session, which first writes what it holds."""
        if isinstance(connection, Session):
            return list(connection.execute(self.statement, values or {}).all())
        compiled = self._compiled.get(connection.dialect.name)
        if compiled is None:
            compiled = self._compiled[connection.dialect.name] = _compile(
                self.statement, connection.dialect
            )
        sql, parameters = compiled.bound(values or {})
        # The first run asks for the columns' types, which their conversions depend on.
        fetched, driver_types = _run(
            connection, sql, parameters, describe=compiled.converters is None
        )
        if driver_types is not None:
            compiled.converters = _converters(self.statement, connection.dialect, driver_types)
        convert, make = compiled.converters or [], self._row
        if not convert:
            return [make(row) for row in fetched]
        return [make(_converted(row, convert)) for row in fetched]

    def first(self, connection: Connection | Session, values: Values | None = None) -> Row | None:
        found = self.rows(connection, values)
        return found[0] if found else None

    def scalar(self, connection: Connection | Session, values: Values | None = None) -> Any:
        found = self.first(connection, values)
        return None if found is None else found[0]


# A conversion of a value, and of a column's (its index, and its type's result processor).
_Convert = Callable[[Any], Any]
_Converter = tuple[int, _Convert]


@dataclass(slots=True)
class _Compiled:
    compiled: SQLCompiler
    binders: dict[str, _Convert]  # the parameters' conversions, by name
    lists: frozenset[str]  # the parameters that are an IN's list (each item converted)
    defaults: dict[str, Any]  # the values in the statement itself (a LIMIT's, an OFFSET's)
    # The statement's text and parameters are made anew for each list of an IN.
    expands: bool
    converters: list[_Converter] | None = None

    def bound(self, values: Values) -> tuple[str, Sequence[Any] | Values]:
        """The SQL and the driver's parameters (by position on SQLite, by name elsewhere)."""
        given: dict[str, Any] = {**self.defaults, **values}
        for name, bind in self.binders.items():
            value = given[name]
            given[name] = [bind(v) for v in value] if name in self.lists else bind(value)
        compiled = self.compiled
        if not self.expands:
            return compiled.string, _by_position(given, compiled.positiontup)
        expanded = compiled.construct_expanded_state(given)
        return expanded.statement, _by_position(expanded.parameters, expanded.positiontup)


def _by_position(values: Values, order: Sequence[str] | None) -> Sequence[Any] | Values:
    """The values in the order of the SQL's `?` (SQLite's paramstyle); by name (psycopg's)."""
    return values if order is None else [values[name] for name in order]


def _compile(statement: sa.Select[Any], dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    binders: dict[str, _Convert] = {
        name: binder
        for name, bind in compiled.binds.items()
        if (binder := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    }
    lists = frozenset(bind.key for bind in compiled.binds.values() if bind.expanding)
    expands = bool(compiled.post_compile_params or compiled.literal_execute_params)
    defaults = {name: value for name, value in compiled.params.items() if value is not None}
    return _Compiled(compiled, binders, lists, defaults, expands)


def _converters(
    statement: sa.Select[Any],
    dialect: Dialect,
    driver_types: Sequence[Any],
) -> list[_Converter]:
    """Each column's conversion, as SQLAlchemy finds it: its type's for this database,
    given the driver's type of the column (PostgreSQL's numeric types differ by it)."""
    found: list[_Converter] = []
    for index, column in enumerate(statement.selected_columns):
        convert = column.type.dialect_impl(dialect).result_processor(dialect, driver_types[index])
        if convert is not None:
            found.append((index, convert))
    return found


def _converted(row: Sequence[Any], converters: list[_Converter]) -> list[Any]:
    values = list(row)
    for index, convert in converters:
        values[index] = convert(values[index])
    return values


def _run(
    connection: Connection,
    sql: str,
    parameters: Sequence[Any] | Values,
    *,
    describe: bool,
) -> tuple[list[Any], Sequence[Any] | None]:
    """The rows (and, if asked, the driver's type of each column); the listeners told."""
    dispatch = connection.dispatch
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        dispatch.before_cursor_execute(connection, cursor, sql, parameters, None, False)
        cursor.execute(sql, parameters)
        dispatch.after_cursor_execute(connection, cursor, sql, parameters, None, False)
        rows = cursor.fetchall()
        return rows, ([column[1] for column in cursor.description] if describe else None)
    except connection.dialect.loaded_dbapi.Error as error:
        raise as_sqlalchemy_raises(connection, sql, parameters, error, cursor) from error
    finally:
        cursor.close()


def as_sqlalchemy_raises(
    connection: Connection, sql: str, parameters: Any, error: Exception, cursor: Any = None
) -> sa.exc.StatementError:
    """A driver's error, met running SQL on the driver's connection, as SQLAlchemy's execute
    raises it: the `DBAPIError` of its kind, the connection invalidated when it was lost
    (app.core.errors answers a lost connection with a 503)."""
    lost = connection.dialect.is_disconnect(cast(Any, error), connection.connection, cursor)
    if lost:
        connection.invalidate(error)
    return sa.exc.DBAPIError.instance(
        sql,
        parameters,
        error,
        connection.dialect.loaded_dbapi.Error,
        connection_invalidated=lost,
        dialect=connection.dialect,
    )
