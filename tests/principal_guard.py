"""The tests' guard: a committed change to what a token lookup reads was noted for the cache.

Each process remembers who a Bearer token belongs to (app.principal.cache), and forgets it
only when a service calls `principals_changed` in the transaction that changed it
(app.principal.changes). A write that forgets the call leaves a deactivated member, a
revoked token or an ended log-in working for minutes, and no request-level test would
notice. This guard listens on every engine (the app's, its read-only engines, the periodic
jobs', a test app's own) and, per database transaction, keeps each UPDATE or DELETE of
`members`, `personal_access_tokens` or `auth_sessions` (read from the compiled statement
object, never from SQL text); when that transaction commits, the Session that ran it must
have noted principals (app.core.db.tell_after_commit under `changes.TOPIC`). Else the write
is reported, with the code that issued it, and the test fails at its teardown. Rows that
the ORM flushes are known by member, so there the note must also name those members (or
everyone); a Core statement's rows are not known, any note will do.

Not checked: INSERTs (nothing remembered a new row yet), statements that changed no row,
text SQL (`sa.text`, `exec_driver_sql`: the tests' own clean-up), writes rolled back (with
their savepoint or transaction), and statements or connections marked with the execution
option `app.principal.changes.PRINCIPALS_UNCHANGED` (the stamp of a token's last use).
"""

from __future__ import annotations

import traceback
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, ExecutionContext
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction

from app.core import db
from app.models import AuthSession, Member, PersonalAccessToken
from app.principal import changes

WATCHED_TABLES = frozenset({"members", "personal_access_tokens", "auth_sessions"})
RULE = (
    "a transaction that updates or deletes rows of members, personal_access_tokens or "
    "auth_sessions must call app.principal.changes.principals_changed(session, member_ids=...) "
    "before it commits (or mark a write that changes nobody's principal with the execution "
    "option PRINCIPALS_UNCHANGED)"
)
_ROOT = Path(__file__).resolve().parent.parent
_APP = _ROOT / "app"
_TESTS = _ROOT / "tests"
_HERE = Path(__file__).resolve()
_FLUSHED = "principal_guard_flushed"  # in Session.info: the members whose rows a flush changed


@dataclass(frozen=True, slots=True)
class Write:
    """An UPDATE or DELETE of a watched table, and the code that issued it."""

    verb: str
    table: str
    sql: str
    issued_by: tuple[str, ...]

    def describe(self) -> str:
        sql = " ".join(self.sql.split())
        if len(sql) > 300:
            sql = sql[:300] + "…"
        where = "\n      ".join(self.issued_by) or "(no app or test frame)"
        return f"{self.verb} {self.table}: {sql}\n    issued by:\n      {where}"


class Guard:
    """Listens on every engine and Session; `violations` collects what it reports."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        # Per connection (a Session's connection lives for one transaction): the watched
        # writes not yet committed, the savepoints' marks in that list, and its Session.
        self._writes: weakref.WeakKeyDictionary[Connection, list[Write]] = (
            weakref.WeakKeyDictionary()
        )
        self._savepoints: weakref.WeakKeyDictionary[Connection, list[int]] = (
            weakref.WeakKeyDictionary()
        )
        self._owners: weakref.WeakKeyDictionary[Connection, weakref.ref[OrmSession]] = (
            weakref.WeakKeyDictionary()
        )
        self._installed = False

    # --- listening ------------------------------------------------------------------------

    def _listeners(self) -> list[tuple[type[Engine] | type[OrmSession], str, Any]]:
        return [
            (Engine, "after_cursor_execute", self._on_execute),
            (Engine, "commit", self._on_commit),
            (Engine, "rollback", self._on_rollback),
            (Engine, "savepoint", self._on_savepoint),
            (Engine, "rollback_savepoint", self._on_rollback_savepoint),
            (Engine, "release_savepoint", self._on_release_savepoint),
            (OrmSession, "after_begin", self._on_session_begin),
            (OrmSession, "before_flush", self._on_flush),
            (OrmSession, "after_transaction_end", self._on_transaction_end),
        ]

    def install(self) -> None:
        if self._installed:
            return
        for target, name, listener in self._listeners():
            event.listen(target, name, listener)
        self._installed = True

    def uninstall(self) -> None:
        if not self._installed:
            return
        for target, name, listener in self._listeners():
            event.remove(target, name, listener)
        self._installed = False

    def _on_session_begin(
        self, session: OrmSession, _transaction: SessionTransaction, connection: Connection
    ) -> None:
        self._owners[connection] = weakref.ref(session)

    def _on_transaction_end(self, session: OrmSession, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            session.info.pop(_FLUSHED, None)

    def _on_flush(self, session: OrmSession, _context: Any, _instances: Any) -> None:
        """The members whose rows (or tokens, or log-ins) this flush changes: the note must
        name them (or everyone)."""
        members: set[int] = session.info.setdefault(_FLUSHED, set())
        for row in (*session.dirty, *session.deleted):
            if row in session.dirty and not session.is_modified(row):
                continue
            if isinstance(row, Member) and row.id is not None:
                members.add(row.id)
            elif isinstance(row, PersonalAccessToken | AuthSession):
                members.add(row.member_id)

    def _on_execute(
        self,
        connection: Connection,
        cursor: Any,
        statement: str,
        _parameters: Any,
        context: ExecutionContext | None,
        _executemany: bool,
    ) -> None:
        write = watched_write(statement, context)
        # A statement that changed no row changed nobody (a conditional UPDATE that lost a
        # race). With RETURNING, SQLite counts rows only once they are fetched: kept.
        if write is not None and (cursor.rowcount != 0 or cursor.description is not None):
            self._writes.setdefault(connection, []).append(write)

    # Savepoints nest (the event is told no name when SQLAlchemy makes one up): a stack of
    # where each began in the connection's list of writes.
    def _on_savepoint(self, connection: Connection, _name: str | None) -> None:
        marks = self._savepoints.setdefault(connection, [])
        marks.append(len(self._writes.get(connection, ())))

    def _on_release_savepoint(self, connection: Connection, _name: str, _context: Any) -> None:
        marks = self._savepoints.get(connection)
        if marks:
            marks.pop()

    def _on_rollback_savepoint(self, connection: Connection, _name: str, _context: Any) -> None:
        marks = self._savepoints.get(connection)
        writes = self._writes.get(connection)
        if marks:
            mark = marks.pop()
            if writes is not None:
                del writes[mark:]

    def _on_rollback(self, connection: Connection) -> None:
        driver = None if connection.invalidated else connection.connection.dbapi_connection
        if getattr(driver, "autocommit", False) is True:
            self._on_commit(connection)  # each statement committed as it ran (read_only on PG)
            return
        self._forget(connection)

    def _on_commit(self, connection: Connection) -> None:
        writes = self._writes.get(connection)
        owner_ref = self._owners.get(connection)
        owner = owner_ref() if owner_ref is not None else None
        self._forget(connection)
        if not writes:
            return
        if owner is None or not noted_principals(owner):
            self.report(writes, in_session=owner is not None)
            return
        noted = _noted(owner)
        unnamed = sorted(owner.info.get(_FLUSHED, set()) - noted)
        if changes.EVERYONE not in noted and unnamed:
            self.report(
                writes, in_session=True, why=f"noted members {sorted(noted)}, not {unnamed}"
            )

    def _forget(self, connection: Connection) -> None:
        self._writes.pop(connection, None)
        self._savepoints.pop(connection, None)

    # --- reporting ------------------------------------------------------------------------

    def report(self, writes: list[Write], *, in_session: bool, why: str = "") -> None:
        where = "a Session" if in_session else "a Connection with no Session (nothing to note on)"
        what = f"with principals_changed that {why}" if why else "without principals_changed"
        lines = "\n  ".join(write.describe() for write in writes)
        self.violations.append(f"committed in {where} {what}:\n  {lines}\n  rule: {RULE}")

    @contextmanager
    def watching(self) -> Iterator[list[str]]:
        """What the guard reports inside the block, kept apart from the test's own."""
        outer, self.violations = self.violations, []
        try:
            yield self.violations
        finally:
            self.violations = outer


def watched_write(statement: str, context: ExecutionContext | None) -> Write | None:
    """The UPDATE or DELETE of a watched table that this execution runs, if any."""
    compiled = getattr(context, "compiled", None)
    if context is None or compiled is None:
        return None  # exec_driver_sql: text the guard does not parse
    dml = compiled.statement
    if not isinstance(dml, sa.Update | sa.Delete):
        return None  # SELECT, INSERT, DDL, sa.text(...)
    table = getattr(dml.table, "name", None)
    if table not in WATCHED_TABLES:
        return None
    if context.execution_options.get(changes.PRINCIPALS_UNCHANGED, False):
        return None
    verb = "UPDATE" if isinstance(dml, sa.Update) else "DELETE"
    return Write(verb, str(table), statement, _issued_by())


def _issued_by() -> tuple[str, ...]:
    """The innermost frames of the app (and of the test) that led to the statement."""
    frames: list[str] = []
    for frame in reversed(traceback.extract_stack()):
        path = Path(frame.filename).resolve()
        if path == _HERE:
            continue
        if path.is_relative_to(_APP) or path.is_relative_to(_TESTS):
            frames.append(f"{path.relative_to(_ROOT)}:{frame.lineno} in {frame.name}")
            if len(frames) == 6:
                break
    return tuple(frames)


def noted_principals(session: OrmSession) -> bool:
    """Whether the Session's transaction has said that principals changed."""
    # Where tell_after_commit leaves its notes (app.core.db), until the commit tells them.
    notes: dict[str, set[Any]] = session.info.get(db._NOTES, {})
    return changes.TOPIC in notes  # even with no member ids: the service looked


def _noted(session: OrmSession) -> set[Any]:
    """The member ids (or EVERYONE) the Session's transaction noted."""
    notes: dict[str, set[Any]] = session.info.get(db._NOTES, {})
    return notes.get(changes.TOPIC, set())


GUARD = Guard()
