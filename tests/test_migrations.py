"""The migrations build exactly the models' schema from nothing, and tear it down again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from pytest_alembic import MigrationContext
from pytest_alembic.tests import default as checks

from tests.migrating import fresh_url, migration_runner


@pytest.fixture(scope="module")
def alembic_runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigrationContext]:
    with migration_runner(fresh_url(tmp_path_factory, "migrations")) as migrations:
        yield migrations


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


def test_webhook_public_ids_are_given_to_existing_rows(alembic_runner: MigrationContext) -> None:
    """Events and deliveries written before the public ids each get a UUID of their own."""
    alembic_runner.migrate_down_to("base")
    alembic_runner.migrate_up_to("0010")
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    alembic_runner.insert_into(
        "webhooks",
        {"id": 1, "url": "https://bot.example.org/", "secret": "s" * 16, "active": True}
        | {"consecutive_failures": 0, "created_at": at, "updated_at": at},
    )
    events: list[dict[str, object]] = [
        {"id": n, "type": "ping", "data": {}, "created_at": at} for n in (1, 2)
    ]
    alembic_runner.insert_into("webhook_events", events)
    deliveries = [
        {"id": n, "webhook_id": 1, "event_id": 1 + n % 2, "status": "pending"}
        | {"attempt_count": 0, "created_at": at}
        for n in (1, 2, 3)
    ]
    alembic_runner.insert_into("webhook_deliveries", deliveries)

    alembic_runner.migrate_up_to("0011")
    engine = alembic_runner.connection_executor.connection
    assert isinstance(engine, sa.Engine)
    with engine.connect() as reading:
        for table, count in (("webhook_events", 2), ("webhook_deliveries", 3)):
            ids = reading.execute(sa.text(f"SELECT public_id FROM {table}")).scalars().all()
            assert len(set(ids)) == count
            assert {uuid.UUID(public_id).version for public_id in ids} == {7}
    alembic_runner.migrate_down_to("0010")  # the data survives the way back
    alembic_runner.migrate_up_to("heads")
