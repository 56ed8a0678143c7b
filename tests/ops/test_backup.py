"""`sanggar backup` and `sanggar restore` round-trip a seeded community, on the database the
suite runs on (SQLite: the online backup API; PostgreSQL: pg_dump / pg_restore)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from tests.conftest import PG_URL
from tests.processes import SANGGAR, server_env, servers


def _sanggar(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SANGGAR, *args],
        env={**env, "COLUMNS": "500"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture
def community_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own (not the suite's): restore replaces all of it."""
    if PG_URL is None:
        yield f"sqlite:///{tmp_path / 'community.db'}"
        return
    server, name = PG_URL.rsplit("/", 1)
    plain = server.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}_backup" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}_backup"')
    yield f"{server}/{name}_backup"
    with psycopg.connect(plain + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}_backup" WITH (FORCE)')


def _snapshot(url: str) -> dict[str, object]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        counts = {
            table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            for table in SQLModel.metadata.sorted_tables
        }
        members = connection.execute(
            sa.text("SELECT id, handle, display_name, role FROM members ORDER BY id LIMIT 5")
        ).all()
        threads = connection.execute(sa.text("SELECT id, title FROM threads ORDER BY id")).all()
    engine.dispose()
    return {"counts": counts, "members": members, "threads": threads}


def test_backup_and_restore_round_trip_a_seeded_community(
    community_url: str, tmp_path: Path
) -> None:
    env = server_env(community_url)
    assert _sanggar(env, "migrate", cwd=tmp_path).returncode == 0
    seeded = _sanggar(env, "seed-demo", "--members", "12", cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    before = _snapshot(community_url)
    assert before["counts"]["members"] >= 12  # type: ignore[index]

    archive = tmp_path / "community.backup"
    done = _sanggar(env, "backup", str(archive), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Backed up" in done.stdout and archive.stat().st_size > 0

    engine = sa.create_engine(community_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE members SET display_name = 'Vandal'"))
        connection.execute(sa.text("DELETE FROM notifications"))
        connection.execute(sa.text("DELETE FROM posts"))
    engine.dispose()
    assert _snapshot(community_url) != before

    restored = _sanggar(env, "restore", str(archive), cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    after = _snapshot(community_url)
    if PG_URL is not None:
        # Serving processes (PostgreSQL's restore does not stop them) are told to forget
        # every token they remember: one row naming everyone, written after the restore.
        after_counts, before_counts = after["counts"], before["counts"]
        assert after_counts["principal_changes"] == before_counts["principal_changes"] + 1  # type: ignore[index]
        after_counts["principal_changes"] = before_counts["principal_changes"]  # type: ignore[index]
        engine = sa.create_engine(community_url)
        with engine.connect() as connection:
            newest = connection.execute(
                sa.text("SELECT member_id FROM principal_changes ORDER BY id DESC LIMIT 1")
            ).scalar_one()
        engine.dispose()
        assert newest is None
    assert after == before


def test_restore_refuses_missing_and_foreign_files(community_url: str, tmp_path: Path) -> None:
    env = server_env(community_url)
    missing = _sanggar(env, "restore", str(tmp_path / "nope.backup"), cwd=tmp_path)
    assert missing.returncode == 1 and "does not exist" in missing.stdout
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a backup")
    wrong = _sanggar(env, "restore", str(foreign), cwd=tmp_path)
    assert wrong.returncode == 1 and "is not" in wrong.stdout


def test_backup_on_postgresql_says_when_pg_dump_is_missing(tmp_path: Path) -> None:
    env = {**server_env("postgresql+psycopg://postgres@127.0.0.1:1/none"), "PATH": str(tmp_path)}
    result = _sanggar(env, "backup", str(tmp_path / "x.backup"), cwd=tmp_path)
    assert result.returncode == 1 and "pg_dump is not installed" in result.stdout


def test_restoring_sqlite_under_a_running_app_is_refused(tmp_path: Path) -> None:
    """A served SQLite database is not replaced (the app would go on with caches of the old
    data, mid-transaction): restore says to stop the app, and works once it is stopped."""
    url = f"sqlite:///{tmp_path / 'served.db'}"
    env = server_env(url)
    assert _sanggar(env, "migrate", cwd=tmp_path).returncode == 0
    archive = tmp_path / "served.backup"
    assert _sanggar(env, "backup", str(archive), cwd=tmp_path).returncode == 0
    with servers(env, tmp_path):
        refused = _sanggar(env, "restore", str(archive), cwd=tmp_path)
        assert refused.returncode == 1, refused.stdout
        assert "Stop every `sanggar serve` process" in refused.stdout
    # Stopped (the lock goes with the process), the same restore goes through.
    restored = _sanggar(env, "restore", str(archive), cwd=tmp_path)
    assert restored.returncode == 0, restored.stdout + restored.stderr
