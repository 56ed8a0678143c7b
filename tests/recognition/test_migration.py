"""Migration 0030: the counts of the contributions recorded before it, then kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from pytest_alembic import MigrationContext

from app.models import Activity, Member
from tests.migrating import fresh_url, migration_runner

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def alembic_runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigrationContext]:
    with migration_runner(fresh_url(tmp_path_factory, "counts_migration")) as migrations:
        yield migrations


def _member(n: int) -> dict[str, object]:
    handle = f"member{n}"
    return {"id": n, "email": f"{handle}@example.org", "handle": handle, "handle_key": handle}


def _activity(member_id: int, kind: str, source_id: int) -> dict[str, object]:
    return {"member_id": member_id, "kind": kind, "source_id": source_id, "points": 1} | {
        "occurred_at": AT,
        "week_start": date(2026, 11, 30),
    }


def _counts(engine: sa.Engine) -> set[tuple[int, str, int]]:
    with engine.connect() as reading:
        rows = reading.execute(sa.text("SELECT member_id, kind, count FROM contribution_counts"))
        return {(m, kind, n) for m, kind, n in rows}


def test_the_counts_start_from_the_activities_recorded_before(
    alembic_runner: MigrationContext,
) -> None:
    alembic_runner.migrate_up_to("0029")
    engine = alembic_runner.connection_executor.connection
    assert isinstance(engine, sa.Engine)
    members, activities = Member.__table__, Activity.__table__  # type: ignore[attr-defined]
    with engine.begin() as writing:
        writing.execute(
            members.insert(),
            [_member(n) | {"display_name": "M", "password_hash": "x"} for n in (1, 2)],
        )
        comments = [_activity(1, "comment", source) for source in range(1, 12)]
        writing.execute(activities.insert(), [*comments, _activity(1, "vote", 1)])
        writing.execute(activities.insert(), _activity(2, "event_attended", 1))

    alembic_runner.migrate_up_to("0030")
    assert _counts(engine) == {(1, "comment", 11), (1, "vote", 1), (2, "event_attended", 1)}
    if engine.dialect.name == "sqlite":  # kept by the activities' triggers
        with engine.begin() as writing:
            writing.execute(activities.insert(), _activity(2, "event_attended", 2))
            writing.execute(activities.delete().where(activities.c.kind == "vote"))
        expected = {(1, "comment", 11), (1, "vote", 0), (2, "event_attended", 2)}
        assert _counts(engine) == expected
    alembic_runner.migrate_down_to("0029")  # the triggers go with the table
    with engine.begin() as writing:
        writing.execute(activities.insert(), _activity(2, "event_attended", 3))
        assert writing.execute(sa.text("SELECT count(*) FROM activities")).scalar() == 14
