"""The `sanggar` command: serve, migrate, create-admin, seed-demo, search-reindex, openapi."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from sqlmodel import Session

from app.auth.schemas import RegisterRequest
from app.core.config import get_settings
from app.core.db import create_db_engine
from app.core.errors import ProblemError
from app.members import service as members
from app.models import Discipline, Role

# Imported for its session hooks too: what these commands write (an admin) is findable.
from app.search import indexer as search_indexer

if TYPE_CHECKING:
    from rich.console import Console

cli = typer.Typer(help="Sanggar: the backend of a creative community.", no_args_is_help=True)


@cache
def console() -> Console:
    """The commands' console, made at first use: `sanggar serve` never prints with it, and
    rich would stay loaded in every worker it starts (bench/MEMORY.md)."""
    from rich.console import Console

    return Console()


class EventLoop(StrEnum):
    """uvicorn's event loops. A process whose requests are mostly CPU (one core, Python)
    is saturated long before its connections are: under uvloop some connections then
    waited over two seconds while others were served in milliseconds (p99 at 64
    connections 1.3-1.5 s, wrk timeouts; bench/ANALYSIS.md), under asyncio's loop every
    request waits its turn (p99 0.07-0.34 s) for the same throughput."""

    ASYNCIO = "asyncio"
    UVLOOP = "uvloop"


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(help="Worker processes (use PostgreSQL for more than one).")
    ] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    loop: Annotated[
        EventLoop, typer.Option(help="The event loop: asyncio serves requests in arrival order.")
    ] = EventLoop.ASYNCIO,
) -> None:
    """Serve the API with uvicorn."""
    options = {"host": host, "port": port, "workers": workers, "reload": reload, "loop": loop.value}
    # This process becomes the server (app.serve): same id and signals, without the CLI's
    # imports. -P: the modules are the installed ones, whatever the current directory holds.
    # no_debug_ranges: code objects without their column positions (0.7 MiB of a worker;
    # tracebacks keep their lines, without the ^^^ under the failing expression).
    command = [sys.executable, "-P", "-X", "no_debug_ranges", "-m", "app.serve"]
    command.append(json.dumps(options))
    os.execv(sys.executable, command)  # noqa: S606 - our own interpreter, no shell


@cli.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Upgrade the database to the latest schema (or to REVISION)."""
    # Here, not at the top: `serve` runs in this process and never needs Alembic (10 MiB).
    from app.core.migrations import upgrade

    settings = get_settings()
    upgrade(settings.database_url, revision)
    console().print(f"[green]Database migrated to {revision}.[/green]")


@cli.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True)],
    handle: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    display_name: Annotated[str, typer.Option(prompt=True)] = "Admin",
) -> None:
    """Create an admin account."""
    try:
        data = RegisterRequest(
            email=email, password=password, handle=handle, display_name=display_name
        )
    except ValidationError as error:
        for issue in error.errors():
            console().print(f"[red]{'.'.join(map(str, issue['loc']))}: {issue['msg']}[/red]")
        raise typer.Exit(code=1) from error
    settings = get_settings()
    with Session(create_db_engine(settings)) as session:
        try:
            member = members.create_member(
                session,
                settings,
                email=data.email,
                password=data.password,
                handle=data.handle,
                display_name=data.display_name,
                role=Role.ADMIN,
            )
        except ProblemError as error:
            console().print(f"[red]{error.detail}[/red]")
            raise typer.Exit(code=1) from error
        session.commit()
        console().print(f"[green]Admin @{member.handle} created (id {member.id}).[/green]")


@cli.command("seed-demo")
def seed_demo(
    members_count: Annotated[
        # One member per discipline at least (app.demo.community.SMALLEST_COMMUNITY).
        int, typer.Option("--members", min=len(Discipline), help="How many members.")
    ] = 60,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed grows the same community.")
    ] = 7,
) -> None:
    """Fill the database with a realistic demo community (once: a second run adds nothing)."""
    import app.wiring  # noqa: F401 - demo data gets the same notifications as requests
    from app.demo.community import seed_community  # the demo's imports, only for this command

    settings = get_settings()
    engine = create_db_engine(settings)
    summary = seed_community(
        engine, settings, members_count=members_count, seed=seed, console=console()
    )
    console().print(f"[green]Demo community ready:[/green] {summary}")


@cli.command()
def backup(
    path: Annotated[Path, typer.Argument(help="The backup file to write.", dir_okay=False)],
) -> None:
    """Back up the database: SQLite's online backup, or pg_dump on PostgreSQL."""
    from app.ops import backup as backups

    settings = get_settings()
    with _backup_errors():
        backups.backup(settings.database_url, path)
    console().print(f"[green]Backed up to {path} ({path.stat().st_size:,} bytes).[/green]")


@cli.command()
def restore(
    path: Annotated[Path, typer.Argument(help="A file written by `sanggar backup`.")],
) -> None:
    """Replace the database's contents with a backup (stop the app first on SQLite)."""
    from app.ops import backup as backups

    settings = get_settings()
    with _backup_errors():
        backups.restore(settings.database_url, path)
    console().print(f"[green]Restored from {path}.[/green]")


@contextmanager
def _backup_errors() -> Iterator[None]:
    import sqlite3  # here: a worker `sanggar serve` starts on PostgreSQL never loads it

    from app.ops.backup import BackupError

    try:
        yield
    except (BackupError, OSError, sqlite3.Error) as error:
        console().print(f"[red]{error}[/red]")
        raise typer.Exit(code=1) from error


@cli.command("search-reindex")
def search_reindex() -> None:
    """Rebuild the search index from the tables (once after upgrading to search)."""
    with Session(create_db_engine(get_settings())) as session:
        counts = search_indexer.reindex(session)
        session.commit()
    total = sum(counts.values())
    detail = ", ".join(f"{count} {kind}" for kind, count in counts.items())
    console().print(f"[green]Indexed {total} things ({detail}).[/green]")


@cli.command()
def openapi(
    output: Annotated[Path, typer.Option(help="Where to write the schema.")] = Path(
        "openapi/openapi.json"
    ),
) -> None:
    """Write the OpenAPI contract to openapi/openapi.json."""
    from app.main import create_app

    output.parent.mkdir(parents=True, exist_ok=True)
    # The committed contract is the same on every machine: no deployment's own URL in it.
    settings = get_settings().model_copy(update={"public_base_url": None})
    output.write_text(render_openapi(create_app(settings).openapi()))
    console().print(f"[green]Wrote {output}.[/green]")


def render_openapi(schema: dict[str, object]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    cli()
