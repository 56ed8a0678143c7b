"""Which SQLite databases an app process is serving, so a restore never swaps one under it.

Every app process holds a shared lock (flock) on a file beside its SQLite database,
`<database>.serving`, for as long as it serves; the operating system drops the lock when
the process ends, however it ends, so a killed process leaves no stale lock. `sanggar
restore` takes the lock exclusively: while any process serves, it is refused; while it
restores, a starting process waits for it. (PostgreSQL needs none of this: pg_restore runs
in one transaction under the server's own locks.)
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog
from sqlalchemy.engine import make_url

log = structlog.get_logger("sanggar.ops")

SUFFIX = ".serving"


class DatabaseInUse(Exception):
    """An app process serves the database that was to be replaced."""


def lock_file(database_url: str) -> Path | None:
    """The lock file of a SQLite database file; None for PostgreSQL or an in-memory one."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database + SUFFIX)


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


@contextmanager
def serving(database_url: str) -> Iterator[None]:
    """Held by an app process while it serves (a shared lock: any number of processes)."""
    path = lock_file(database_url)
    if path is None or not path.parent.is_dir():
        yield
        return
    descriptor = _open(path)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("database_being_restored", waiting_for=str(path))
            fcntl.flock(descriptor, fcntl.LOCK_SH)  # the restore ends in seconds
        yield
    finally:
        os.close(descriptor)  # the lock goes with it


@contextmanager
def exclusively(database_url: str) -> Iterator[None]:
    """Held while the database is replaced; DatabaseInUse while an app process serves it."""
    path = lock_file(database_url)
    if path is None:
        yield
        return
    descriptor = _open(path)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseInUse(str(path)) from None
        yield
    finally:
        os.close(descriptor)
