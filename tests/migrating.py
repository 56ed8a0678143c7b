"""A migration runner (pytest-alembic) on a database of its own: a new SQLite file, or a
PostgreSQL database made afresh beside the tests' one when they run on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
import sqlalchemy as sa
from pytest_alembic import Config, MigrationContext, runner

from app.core.migrations import PROJECT_ROOT
from tests.conftest import PG_URL


def fresh_url(tmp_path_factory: pytest.TempPathFactory, name: str) -> str:
    """An empty database named after `name`."""
    if PG_URL is None:
        return f"sqlite:///{tmp_path_factory.mktemp('migrations') / f'{name}.db'}"
    url = f"{PG_URL}_{name}"
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    server, database = plain.rsplit("/", 1)
    with psycopg.connect(server + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"')
    return url


@contextmanager
def migration_runner(url: str) -> Iterator[MigrationContext]:
    """pytest-alembic's runner of the project's migrations on `url`."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    config = Config(config_options={"file": str(PROJECT_ROOT / "alembic.ini")})
    with runner(config=config, engine=engine) as migrations:
        yield migrations
    engine.dispose()
