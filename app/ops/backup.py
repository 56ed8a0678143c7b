"""Backups of the configured database: SQLite through its online backup API (consistent
while the app keeps writing, WAL included), PostgreSQL through pg_dump's custom format."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.ops import serving
from app.principal import changes

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be done, with a message for the operator."""


def backup(database_url: str, path: Path) -> None:
    if make_url(database_url).get_backend_name() == "sqlite":
        _backup_sqlite(_sqlite_file(database_url), path)
    else:
        _run(
            _tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            f"--file={path}",
            f"--dbname={_libpq_url(database_url)}",
        )


def restore(database_url: str, path: Path) -> None:
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file.")
    if make_url(database_url).get_backend_name() == "sqlite":
        target = _sqlite_file(database_url)
        try:
            with serving.exclusively(database_url):
                _restore_sqlite(path, target)
        except serving.DatabaseInUse as in_use:
            raise BackupError(
                f"An app process is serving {target} (it holds {in_use}). Stop every "
                "`sanggar serve` process of this database first, then restore, then start "
                "them again: a process would go on with caches and state of the old data."
            ) from None
    else:
        _require_magic(
            path, PG_DUMP_MAGIC, "a pg_dump custom-format archive (sanggar backup on PostgreSQL)"
        )
        _run(
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq_url(database_url)}",
            str(path),
        )
        _forget_remembered_tokens(database_url)


def _forget_remembered_tokens(database_url: str) -> None:
    """Processes serving PostgreSQL go on through a restore, remembering token lookups of
    the data as it was: told here, they forget them within a second (app.principal.polling).
    (A SQLite restore needs every process stopped first.)"""
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            changes.write_everyone_changed(connection)
    finally:
        engine.dispose()


def _sqlite_file(database_url: str) -> Path:
    name = make_url(database_url).database
    if not name or name == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(name)


def _backup_sqlite(source: Path, path: Path) -> None:
    if not source.is_file():
        raise BackupError(f"The database file {source} does not exist.")
    # Written next to the target and renamed: a failed backup never leaves half a file.
    fd, partial = tempfile.mkstemp(dir=path.parent or Path(), prefix=path.name, suffix=".part")
    os.close(fd)
    try:
        with _connect(source) as live, _connect(Path(partial)) as copy:
            live.backup(copy)
        Path(partial).replace(path)
    finally:
        Path(partial).unlink(missing_ok=True)


def _restore_sqlite(path: Path, target: Path) -> None:
    _require_magic(path, SQLITE_MAGIC, "a SQLite database (sanggar backup on SQLite)")
    with _connect(path) as copy:
        tables = {
            row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    if "alembic_version" not in tables:
        raise BackupError(f"{path} is a SQLite file but not a Sanggar database.")
    # Copied page by page into the live file under SQLite's own locks (not a file rename
    # under open connections): every process sees the old database or the restored one.
    with _connect(path) as copy, _connect(target) as live:
        copy.backup(live)


def _connect(path: Path) -> closing[sqlite3.Connection]:
    """Closed on leaving the block (a bare sqlite3 connection's `with` only commits)."""
    connection = sqlite3.connect(path, timeout=30)
    connection.execute("PRAGMA busy_timeout=30000")
    return closing(connection)


def _require_magic(path: Path, magic: bytes, what: str) -> None:
    with path.open("rb") as file:
        if file.read(len(magic)) != magic:
            raise BackupError(f"{path} is not {what}.")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (it comes with the PostgreSQL client tools).")
    return found


def _libpq_url(database_url: str) -> str:
    """The URL as pg_dump understands it: no SQLAlchemy driver suffix."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _run(*command: str) -> None:
    # The command is ours (pg_dump/pg_restore found on PATH); only the URL and path vary.
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")
