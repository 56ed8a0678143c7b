"""A notification of a kind mailed reads its member's mail settings with its INSERT (one
statement on PostgreSQL): the read sees what the Session holds unwritten, as an ORM read
would, and a kind never mailed (an announcement) reads nothing."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.models import MailMessage, MailSettings, Notification
from app.notifications.service import ANNOUNCEMENT, notify
from tests.conftest import is_postgres
from tests.factories import QueryCounter, member_with_headers


def _member(app: FastAPI) -> int:
    member, _ = member_with_headers(app)
    assert member.id is not None
    return member.id


def _mails(engine: Engine, member_id: int) -> int:
    with Session(engine) as session:
        count = select(sa.func.count()).where(
            MailMessage.member_id == member_id, MailMessage.template == "notification"
        )
        return session.exec(count).one()


def test_settings_not_yet_written_decide_the_mail(app: FastAPI, engine: Engine) -> None:
    member_id = _member(app)
    with Session(engine) as session:
        session.add(MailSettings(member_id=member_id, email={"comment.created": False}))
        notify(session, member_id=member_id, type="comment.created", title="Budi commented")
        session.commit()
    assert _mails(engine, member_id) == 0
    with Session(engine) as session:
        settings = session.get(MailSettings, member_id)
        assert settings is not None
        settings.email = {"comment.created": True}
        session.add(settings)
        notify(session, member_id=member_id, type="comment.created", title="Budi commented")
        session.commit()
    assert _mails(engine, member_id) == 1


def test_statements_of_a_notification(app: FastAPI, engine: Engine) -> None:
    member_id = _member(app)
    counter = QueryCounter()
    mine = select(sa.func.count()).where(Notification.member_id == member_id)
    with Session(engine) as session:
        before = session.exec(mine).one()
        sa.event.listen(engine, "before_cursor_execute", counter.record)
        try:
            notify(session, member_id=member_id, type=ANNOUNCEMENT, title="News")
            unmailed = len(counter.statements)
            notify(session, member_id=member_id, type="mentorship.requested", title="Asked")
            mailed = len(counter.statements) - unmailed
        finally:
            sa.event.remove(engine, "before_cursor_execute", counter.record)
        session.commit()
        assert session.exec(mine).one() == before + 2
    # Never mailed: the INSERT alone. Mailed: on PostgreSQL the INSERT, the member's read
    # and their mail in one statement; elsewhere the INSERT returning the member's row,
    # then the mail's three INSERTs.
    assert unmailed == 1
    assert mailed == (1 if is_postgres() else 4)
    assert _mails(engine, member_id) == 1
