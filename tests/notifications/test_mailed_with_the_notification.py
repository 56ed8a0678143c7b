"""A notification of a kind mailed reads its member's mail settings with its INSERT (one
statement on PostgreSQL): the read sees what the Session holds unwritten, as an ORM read
would, and a kind never mailed (an announcement) reads nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.mail import outbox
from app.models import MailMessage, MailSettings, Member, Notification
from app.notifications import texts
from app.notifications.service import ANNOUNCEMENT, notify
from app.principal.changes import principals_changed
from tests.conftest import is_postgres, make_settings
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


def _comment(session: Session, member_id: int, text: str, *, work: int = 7) -> None:
    notify(
        session,
        member_id=member_id,
        type="comment.created",
        title="{member} commented on “{work}”",
        body="{text}",
        values={"member": "Budi (@budi)", "work": "Senja", "text": text},
        submission_id=work,
    )


def _comment_mails(engine: Engine, member_id: int) -> list[MailMessage]:
    with Session(engine) as session:
        statement = select(MailMessage).where(
            MailMessage.member_id == member_id, MailMessage.unsubscribe_kind == "comment.created"
        )
        return list(session.exec(statement.order_by(col(MailMessage.id))))


def _told(mail: MailMessage) -> list[str]:
    assert mail.context is not None
    return [item["body"] for item in mail.context["gathered"]]


def test_statements_of_a_comments_notification_and_its_mail(app: FastAPI, engine: Engine) -> None:
    member_id = _member(app)
    counter = QueryCounter()
    counts = []
    with Session(engine) as session:
        sa.event.listen(engine, "before_cursor_execute", counter.record)
        try:
            for text in ("first", "second"):
                counter.reset()
                _comment(session, member_id, text)
                counts.append(counter.count)
        finally:
            sa.event.remove(engine, "before_cursor_execute", counter.record)
        session.commit()
    # PostgreSQL: the notification, its member's read and the mail (new, then gathered
    # into) in one statement each. SQLite: the INSERT returning the member's row, the
    # UPDATE adding to a waiting mail, which finds none the first time: the three INSERTs.
    assert counts == ([1, 1] if is_postgres() else [5, 2])
    [mail] = _comment_mails(engine, member_id)
    assert _told(mail) == ["first", "second"]


def test_a_member_who_turned_the_kind_off_adds_nothing_to_the_waiting_mail(
    app: FastAPI, engine: Engine
) -> None:
    member_id = _member(app)
    with Session(engine) as session:
        _comment(session, member_id, "first")
        session.add(MailSettings(member_id=member_id, email={"comment.created": False}))
        _comment(session, member_id, "second")
        session.commit()
    [mail] = _comment_mails(engine, member_id)
    assert _told(mail) == ["first"]


def test_a_deactivated_member_is_not_mailed(app: FastAPI, engine: Engine) -> None:
    member, _ = member_with_headers(app, is_active=False)
    assert member.id is not None
    with Session(engine) as session:
        _comment(session, member.id, "first")
        session.commit()
        mine = select(sa.func.count()).where(
            Notification.member_id == member.id, Notification.type == "comment.created"
        )
        assert session.exec(mine).one() == 1
    assert _comment_mails(engine, member.id) == []


@pytest.mark.parametrize(
    ("member_locale", "default_locale", "expected"),
    [(None, "en", "en"), (None, "id", "id"), ("en", "id", "en"), ("id", "en", "id")],
)
def test_the_mail_is_in_the_members_language_else_the_default(
    app: FastAPI,
    engine: Engine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    member_locale: str | None,
    default_locale: str,
    expected: str,
) -> None:
    chosen = make_settings(settings.database_url, default_locale=default_locale)
    monkeypatch.setattr(outbox, "get_settings", lambda: chosen)
    member_id = _member(app)
    with Session(engine) as session:
        member = session.get(Member, member_id)
        assert member is not None
        member.locale = member_locale  # type: ignore[assignment]
        session.add(member)
        principals_changed(session, member_ids=[member_id])
        session.commit()
        _comment(session, member_id, "Bagus.")
        session.commit()
        [notification] = session.exec(
            select(Notification).where(
                Notification.member_id == member_id, Notification.type == "comment.created"
            )
        ).all()
    [mail] = _comment_mails(engine, member_id)
    title, body = texts.shown(notification, expected)
    assert mail.locale == expected
    assert mail.context is not None
    assert (mail.context["title"], mail.context["gathered"]) == (
        title,
        [{"title": title, "body": body}],
    )
    assert mail.context["work"] == "Senja" and mail.context["kind"] == "comment.created"
