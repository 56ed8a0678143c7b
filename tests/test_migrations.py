"""The migrations build exactly the models' schema from nothing, and tear it down again."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa
from pytest_alembic import Config, MigrationContext, runner
from pytest_alembic.tests import default as checks

from app.core.migrations import PROJECT_ROOT
from tests.conftest import PG_URL


def _fresh_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if PG_URL is None:
        return f"sqlite:///{tmp_path_factory.mktemp('migrations') / 'empty.db'}"
    url = PG_URL + "_migrations"
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    server, name = plain.rsplit("/", 1)
    with psycopg.connect(server + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url


@pytest.fixture(scope="module")
def alembic_runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigrationContext]:
    engine = sa.create_engine(_fresh_url(tmp_path_factory), poolclass=sa.pool.NullPool)
    config = Config(config_options={"file": str(PROJECT_ROOT / "alembic.ini")})
    with runner(config=config, engine=engine) as migration_runner:
        yield migration_runner
    engine.dispose()


def test_one_head(alembic_runner: MigrationContext) -> None:
    checks.test_single_head_revision(alembic_runner)


def test_upgrade_from_empty_to_head(alembic_runner: MigrationContext) -> None:
    checks.test_upgrade(alembic_runner)


def test_head_matches_the_models(alembic_runner: MigrationContext) -> None:
    checks.test_model_definitions_match_ddl(alembic_runner)


def test_every_migration_downgrades(alembic_runner: MigrationContext) -> None:
    checks.test_up_down_consistency(alembic_runner)
    alembic_runner.migrate_down_to("base")
    assert alembic_runner.current == "base"
