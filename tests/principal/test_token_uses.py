"""A personal access token's last use (app.principal.usage): noted by the request that used it,
written in one statement by a periodic job and at shutdown, never by the request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from app.core.clock import utcnow
from app.members import service as members
from app.members.schemas import PersonalTokenCreate
from app.models import PersonalAccessToken
from app.principal import cache
from app.principal.changes import PRINCIPALS_UNCHANGED
from app.principal.usage import TokenUses
from tests.factories import make_member

ME = "/api/v1/members/me"


def _token(app: FastAPI, *, last_used_at: datetime | None = None) -> tuple[int, str]:
    """A personal access token of a new member: its id and its secret."""
    member = make_member(app)
    with Session(app.state.engine) as session:
        token, secret = members.create_token(
            session, member=member, data=PersonalTokenCreate(name="bot", scopes=["read"])
        )
        token.last_used_at = last_used_at
        # A stamp, as app.principal.usage writes it: it changes nobody's principal.
        session.connection().execution_options(**{PRINCIPALS_UNCHANGED: True})
        session.commit()
        assert token.id is not None
        return token.id, secret


def _last_used(engine: Engine, token_id: int) -> datetime | None:
    with Session(engine) as session:
        token = session.get(PersonalAccessToken, token_id)
        assert token is not None
        return token.last_used_at


@pytest.fixture
def writes(app: FastAPI, engine: Engine) -> Iterator[list[str]]:
    """The statements that write to the tokens' table while a test runs (uses an earlier
    test left noted in the shared app are written first)."""
    with Session(engine) as session:
        app.state.token_uses.write(session)
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE PERSONAL_ACCESS_TOKENS"):
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", record)


def test_a_request_notes_a_use_and_the_job_writes_it(
    client: TestClient, app: FastAPI, engine: Engine, writes: list[str]
) -> None:
    token_id, secret = _token(app)
    before = utcnow()
    assert client.get(ME, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert writes == [], "the request itself writes nothing"
    assert _last_used(engine, token_id) is None

    with Session(engine) as session:
        app.state.token_uses.write(session)
    stamped = _last_used(engine, token_id)
    assert stamped is not None and before <= stamped <= utcnow()
    assert len(writes) == 1


def test_uses_of_many_tokens_are_one_statement_and_never_move_a_stamp_back(
    app: FastAPI, engine: Engine, writes: list[str]
) -> None:
    now = utcnow()
    later_elsewhere = now + timedelta(seconds=30)  # written by another process meanwhile
    stale, fresh = _token(app), _token(app, last_used_at=later_elsewhere)
    writes.clear()
    uses = TokenUses()
    uses.note(stale[0], now - timedelta(seconds=5))
    uses.note(stale[0], now)  # the latest of a token's uses is kept
    uses.note(stale[0], now - timedelta(seconds=9))
    uses.note(fresh[0], now)
    with Session(engine) as session:
        uses.write(session)
    assert _last_used(engine, stale[0]) == now
    assert _last_used(engine, fresh[0]) == later_elsewhere
    assert len(writes) == 1  # one executemany


def test_uses_that_could_not_be_written_are_written_next_time(
    app: FastAPI, engine: Engine, tmp_path: Any
) -> None:
    token_id, _ = _token(app)
    used_at = utcnow()
    uses = TokenUses()
    uses.note(token_id, used_at - timedelta(seconds=1))
    unreachable = create_engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    with pytest.raises(sa.exc.OperationalError), Session(unreachable) as session:
        uses.write(session)
    uses.note(token_id, used_at)  # noted while the write failed: the later one wins
    with Session(engine) as session:
        uses.write(session)
    assert _last_used(engine, token_id) == used_at


def test_uses_still_noted_are_written_when_the_app_shuts_down(app: FastAPI, engine: Engine) -> None:
    token_id, secret = _token(app)
    with TestClient(app) as client:
        assert client.get(ME, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        assert _last_used(engine, token_id) is None
    assert _last_used(engine, token_id) is not None


def test_a_use_stamped_within_the_minute_is_not_noted_again(
    client: TestClient, app: FastAPI, engine: Engine, writes: list[str]
) -> None:
    stamped = utcnow() - timedelta(seconds=20)
    token_id, secret = _token(app, last_used_at=stamped)
    writes.clear()
    assert client.get(ME, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    with Session(engine) as session:
        app.state.token_uses.write(session)
    assert (writes, _last_used(engine, token_id)) == ([], stamped)


@pytest.mark.parametrize("note_every", [60, 0])
def test_a_token_answered_from_memory_notes_its_use_once_a_minute(
    client: TestClient,
    app: FastAPI,
    engine: Engine,
    writes: list[str],
    monkeypatch: pytest.MonkeyPatch,
    note_every: float,
) -> None:
    monkeypatch.setattr(cache, "NOTE_USE_EVERY_SECONDS", note_every)
    headers = {"Authorization": f"Bearer {_token(app)[1]}"}
    assert client.get(ME, headers=headers).status_code == 200  # looked up: noted
    with Session(engine) as session:
        app.state.token_uses.write(session)
    writes.clear()
    assert client.get(ME, headers=headers).status_code == 200  # answered from memory
    with Session(engine) as session:
        app.state.token_uses.write(session)
    assert len(writes) == (1 if note_every == 0 else 0)
