"""A worker starts without the libraries only some requests or deployments need (megabytes
of resident memory each; bench/MEMORY.md): those app/core keeps PyJWT and structlog from
loading, and those the app imports at their first use (webhook requests, upload sniffing,
pictures, mails, calendars, search stemmers, Redis, S3, migrations, the webhooks' OpenAPI
docs). `sanggar serve` becomes a process of its own (app.serve) without the CLI's Typer and
uvicorn's watchfiles."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import render_python_code
from alembic.operations import ops

from alembic import command
from app.core.migrations import alembic_config
from tests.conftest import PG_URL
from tests.processes import Server, server_env

NEVER_AT_START_UP = (
    # Optional features of PyJWT and structlog the app never uses (app/core/__init__.py).
    "cryptography",
    "rich",
    # Imported where first used.
    "PIL",
    "pillow_heif",
    "mutagen",
    "jinja2",
    "httpx",
    "pygments",
    "puremagic",
    "icalendar",
    "snowballstemmer",
    "redis",
    "boto3",
    "botocore",
    "alembic",
    # The OpenAPI webhooks section, built when the schema is first asked for (app.main).
    "app.webhooks.docs",
    # smtplib, for a mail server (app.mail.transport); the email package's policy and header
    # classes, for an address only SMTPUTF8 carries (app.mail.render).
    "smtplib",
    "email.policy",
    "email.headerregistry",
    # Babel's catalogue reader and writer, for a catalogue the install did not compile.
    "babel.messages",
)
# What `sanggar serve`'s process (app.serve) never imports either: the CLI and its Typer,
# watchfiles (uvicorn's reloader's, only with --reload).
NOT_IN_THE_SERVER = (*NEVER_AT_START_UP, "app.cli", "typer", "watchfiles")
SERVE_FIRST = "from app import serve; serve.import_uvicorn(reload=False); import app.core.server"

PROBE = """
import sys
{first}
from app.main import create_app
from app.core.config import Settings
create_app(Settings(database_url=sys.argv[1]))
import jwt
jwt.decode(jwt.encode({{"sub": "1"}}, "k" * 32, algorithm="HS256"), "k" * 32, algorithms=["HS256"])
print(",".join(name for name in {names!r} if name in sys.modules))
"""


@pytest.mark.parametrize(
    ("first", "names", "env"),
    [
        # A worker of `uvicorn app.main:app`.
        ("", NEVER_AT_START_UP, {}),
        # A command of the CLI that makes the app (its console, rich, is made at first use).
        ("import app.cli", NEVER_AT_START_UP, {}),
        # `sanggar serve`'s process: app.serve imports uvicorn and its protocol first.
        (SERVE_FIRST, NOT_IN_THE_SERVER, {}),
        # With rate limiting off (as bench.versus runs), `limits` (1.6 MiB) never loads: the
        # first limiter imports it (app.core.ratelimit).
        (SERVE_FIRST, (*NOT_IN_THE_SERVER, "limits"), {"SANGGAR_RATE_LIMIT_ENABLED": "false"}),
    ],
    ids=["app", "cli", "sanggar serve", "sanggar serve, rate limits off"],
)
def test_a_worker_starts_and_signs_tokens_without_them(
    tmp_path: Path, first: str, names: tuple[str, ...], env: dict[str, str]
) -> None:
    url = PG_URL or f"sqlite:///{tmp_path / 'probe.db'}"
    # Nor for the other database's SQLAlchemy dialect (0.7 MiB for SQLite's): the tables'
    # options naming it wait for Alembic (app.core.tables.SCHEMA_ONLY); nor, on PostgreSQL,
    # for sqlite3 (1.6 MiB).
    if PG_URL is not None:
        names = (*names, "sqlite3", "sqlalchemy.dialects.sqlite")
    else:
        names = (*names, "sqlalchemy.dialects.postgresql")
    probe = PROBE.format(first=first, names=names)
    found = subprocess.run(
        [sys.executable, "-c", probe, url],
        # `app.main`'s own app is made from the environment, as a served worker's is.
        env={**os.environ, "SANGGAR_DATABASE_URL": url, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.strip()
    assert found == ""


def test_sanggar_serve_becomes_the_server_process(tmp_path: Path) -> None:
    """`sanggar serve` execs `python -m app.serve`: the same process (its id, its signals),
    without the CLI; watchfiles' extension is not mapped in it."""
    server = Server(server_env(f"sqlite:///{tmp_path / 'serve.db'}"), tmp_path)
    try:
        proc = Path(f"/proc/{server.process.pid}")
        command = (proc / "cmdline").read_bytes().split(b"\0")
        assert command[1:6] == [b"-P", b"-X", b"no_debug_ranges", b"-m", b"app.serve"]
        assert "watchfiles" not in (proc / "maps").read_text()
    finally:
        server.stop()
    assert "Application shutdown complete" in server.log()  # SIGTERM: a graceful stop


def test_alembic_still_gets_the_options_a_worker_never_loads(database_url: str) -> None:
    """`make revision` renders a table's `sqlite_autoincrement` and a partial index's
    conditions as before: alembic/env.py puts back what the models keep aside in their
    `info` (app.core.tables.SCHEMA_ONLY); the schema comparison of tests/test_migrations.py
    does not look at these options."""
    given = []

    def capture(context: Any, _revision: Any, directives: list[Any]) -> None:
        given.append(context.opts["target_metadata"])
        directives[:] = []  # no revision file written

    config = alembic_config(database_url)
    command.revision(config, autogenerate=True, process_revision_directives=capture)
    mails = given[0].tables["mail_messages"]
    new_table: list[ops.MigrateOperation] = [ops.CreateTableOp.from_table(mails)]
    new_table += [ops.CreateIndexOp.from_index(index) for index in mails.indexes]
    rendered = render_python_code(ops.UpgradeOps(new_table))
    assert "sqlite_autoincrement=True" in rendered
    assert "sqlite_where=sa.text(" in rendered and "postgresql_where=sa.text(" in rendered
    assert "info=" not in rendered
