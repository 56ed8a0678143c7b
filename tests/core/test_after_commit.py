"""The unit of work's after-commit hook (app.core.db): what a transaction notes is told to
its engine's listeners once the database has committed, and never after a rollback."""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from app.core.db import listen_after_commit, read_only, tell_after_commit

Told = list[frozenset[Hashable]]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Engine]:
    db = create_engine(f"sqlite:///{tmp_path / 'after-commit.db'}")  # a file: two connections
    yield db
    db.dispose()


@pytest.fixture
def told(db: Engine) -> Told:
    heard: Told = []
    listen_after_commit(db, "things", heard.append)
    return heard


def test_a_commit_tells_every_item_once_after_the_database_committed(
    db: Engine, told: Told
) -> None:
    committed: list[bool] = []
    listen_after_commit(db, "things", lambda _items: committed.append(_is_committed(db)))
    with Session(db) as session:
        session.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        session.execute(sa.text("INSERT INTO t VALUES (1)"))
        tell_after_commit(session, "things", [1, 2])
        tell_after_commit(session, "things", [2, 3])
        tell_after_commit(session, "others", ["nobody listens"])
        assert told == []
        session.commit()
    assert told == [frozenset({1, 2, 3})]
    assert committed == [True]


def _is_committed(db: Engine) -> bool:
    with db.connect() as other:
        rows: int = other.execute(sa.text("SELECT count(*) FROM t")).scalar_one()
    return rows == 1


def test_a_rollback_tells_nothing_and_the_next_commit_only_its_own(db: Engine, told: Told) -> None:
    with Session(db) as session:
        tell_after_commit(session, "things", [1])
        session.rollback()
        session.execute(sa.text("SELECT 1"))
        tell_after_commit(session, "things", [2])
        session.commit()
        session.execute(sa.text("SELECT 1"))
        session.commit()  # nothing noted in this one
    assert told == [frozenset({2})]


def test_a_savepoint_released_waits_for_the_commit(db: Engine, told: Told) -> None:
    with Session(db) as session:
        session.execute(sa.text("SELECT 1"))
        with session.begin_nested():
            tell_after_commit(session, "things", [1])
        assert told == []
        session.commit()
    assert told == [frozenset({1})]


def test_engines_made_from_it_share_its_listeners(db: Engine, told: Told) -> None:
    with Session(read_only(db)) as session:
        session.execute(sa.text("SELECT 1"))
        tell_after_commit(session, "things", ["x"])
        session.commit()
    assert told == [frozenset({"x"})]
