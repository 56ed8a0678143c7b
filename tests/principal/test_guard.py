"""The tests' guard (tests/principal_guard.py) reports a committed change to what a token
lookup reads that forgot `principals_changed`, and nothing else."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.core.clock import utcnow
from app.members import service as members
from app.members.schemas import PersonalTokenCreate
from app.models import AuthSession, Member, PersonalAccessToken, Role
from app.principal.changes import PRINCIPALS_UNCHANGED, principals_changed
from app.principal.usage import TokenUses
from tests.factories import make_member, tokens_for
from tests.principal_guard import GUARD


def _promote(session: Session, member_id: int, *, note: bool) -> None:
    """A service that changes a member's role, as app.members.service does (or forgets to)."""
    member = session.get(Member, member_id)
    assert member is not None
    member.role = Role.ORGANIZER
    session.add(member)
    if note:
        principals_changed(session, member_ids=[member_id])


def test_a_role_change_without_the_call_is_reported_with_the_code_that_made_it(
    app: FastAPI, engine: Engine
) -> None:
    member_id = make_member(app).id
    assert member_id is not None
    with GUARD.watching() as found, Session(engine) as session:
        _promote(session, member_id, note=False)
        session.commit()
    assert len(found) == 1
    assert "UPDATE members" in found[0]
    assert "principals_changed" in found[0]  # the rule
    assert "tests/principal/test_guard.py" in found[0]  # the code that committed it
    with GUARD.watching() as found, Session(engine) as session:
        _promote(session, member_id, note=True)
        session.commit()
    assert found == []


def test_a_note_that_names_another_member_is_reported(app: FastAPI, engine: Engine) -> None:
    member_id, other_id = make_member(app).id, make_member(app).id
    assert member_id is not None and other_id is not None
    with GUARD.watching() as found, Session(engine) as session:
        _promote(session, member_id, note=False)
        principals_changed(session, member_ids=[other_id])
        session.commit()
    assert len(found) == 1
    assert f"noted members [{other_id}], not [{member_id}]" in found[0]
    with GUARD.watching() as found, Session(engine) as session:
        _promote(session, member_id, note=False)
        principals_changed(session)  # everyone
        session.commit()
    assert found == []


def test_core_updates_and_deletes_of_tokens_and_log_ins_are_seen(
    app: FastAPI, engine: Engine
) -> None:
    member = make_member(app)
    tokens_for(app, member)
    with Session(engine) as session:
        members.create_token(
            session, member=member, data=PersonalTokenCreate(name="bot", scopes=["read"])
        )
        session.commit()
    revoke = sa.update(AuthSession).values(revoked_at=utcnow())
    delete = sa.delete(PersonalAccessToken)
    for statement, table in ((revoke, "auth_sessions"), (delete, "personal_access_tokens")):
        with GUARD.watching() as found, Session(engine) as session:
            session.execute(statement)
            session.commit()
        assert len(found) == 1
        assert f" {table}" in found[0]


def test_a_connection_without_a_session_cannot_note_and_is_reported(
    app: FastAPI, engine: Engine
) -> None:
    member_id = make_member(app).id
    with GUARD.watching() as found, engine.begin() as connection:
        connection.execute(
            sa.update(Member).where(col(Member.id) == member_id).values(is_active=False)
        )
    assert len(found) == 1
    assert "no Session" in found[0]


def test_what_changes_nobody_or_is_never_committed_is_not_reported(
    app: FastAPI, engine: Engine
) -> None:
    member = make_member(app)
    member_id = member.id
    assert member_id is not None
    deactivate = sa.update(Member).where(col(Member.id) == member_id).values(is_active=False)
    with GUARD.watching() as found:
        with Session(engine) as session:  # rolled back
            session.execute(deactivate)
            session.rollback()
        with Session(engine) as session:  # its savepoint rolled back
            with session.begin_nested() as savepoint:
                session.execute(deactivate)
                savepoint.rollback()
            session.commit()
        with Session(engine) as session:  # a conditional UPDATE that changed no row
            session.execute(deactivate.where(col(Member.role) == Role.ADMIN))
            session.commit()
        with Session(engine) as session:  # marked: changes nobody's principal
            session.execute(deactivate.execution_options(**{PRINCIPALS_UNCHANGED: True}))
            session.commit()
        with Session(engine) as session:  # the stamp of a token's last use
            token, _ = members.create_token(
                session, member=member, data=PersonalTokenCreate(name="bot", scopes=["read"])
            )
            session.commit()
            uses = TokenUses()
            uses.note(token.id, utcnow() - timedelta(minutes=1))  # type: ignore[arg-type]
            uses.write(session)
    assert found == []
