"""`sanggar search-reindex`: rows written before the index existed become findable, and the
rebuilt index equals the one the writes kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, create_engine
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import get_settings

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SANGGAR_DATABASE_URL", url)
    monkeypatch.setenv("SANGGAR_SECRET_KEY", "cli-test-" + "k" * 64)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _documents(url: str) -> list[tuple[str, int, str]]:
    engine = create_engine(url)
    with Session(engine) as session:
        rows = session.execute(
            sa.text(
                "SELECT doc_type, doc_id, body_terms FROM search_documents "
                "ORDER BY doc_type, doc_id"
            )
        ).all()
    engine.dispose()
    return [(r[0], r[1], r[2]) for r in rows]


def test_reindex_rebuilds_what_the_writes_built(database: str) -> None:
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    seeded = runner.invoke(cli, ["seed-demo", "--members", "10"])
    assert seeded.exit_code == 0, seeded.output
    kept = _documents(database)
    assert {kind for kind, _, _ in kept} >= {"member", "submission", "thread", "event"}
    engine = create_engine(database)
    with engine.begin() as connection:  # as if the content predated the index
        connection.execute(sa.text("DELETE FROM search_documents"))
    engine.dispose()
    assert _documents(database) == []
    result = runner.invoke(cli, ["search-reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed" in result.output
    assert _documents(database) == kept
