"""The account mails: the events app/accounts publishes become mails to the right address,
in the member's language, their token readable in the database only until sent."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.config import Settings
from app.core.domain_events import EmailChanged, EmailChangeRequested, publish
from app.i18n import Locale
from app.models import Member
from app.principal.changes import principals_changed
from tests.conftest import make_settings
from tests.factories import make_member, member_with_headers
from tests.mail.conftest import dispatch, mails, parts


def sent(tmp_path: Path) -> list[EmailMessage]:
    found = []
    for path in sorted(tmp_path.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def test_a_password_reset_mails_the_token_then_forgets_it(
    app: FastAPI, client: TestClient, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    member = make_member(app, display_name="Sari")
    answer = client.post("/api/v1/auth/password-reset", json={"email": member.email})
    assert answer.status_code == 202
    [reset] = [m for m in mails(engine) if m.template == "password_reset"]
    assert reset.context is not None
    token = reset.context["token"]
    assert reset.recipient == member.email and reset.unsubscribe_kind is None
    out = make_settings(
        settings.database_url, mail_url=f"file:{tmp_path}", app_url="https://app.example"
    )
    dispatch(engine, out)
    [mail] = [m for m in sent(tmp_path) if m["Subject"] == "Atur ulang kata sandi Sanggar-mu"]
    assert "List-Unsubscribe" not in mail
    text, html = parts(mail)
    assert f"https://app.example/reset-password?token={token}" in text
    assert f'href="https://app.example/reset-password?token={token}"' in html
    [after] = [m for m in mails(engine) if m.template == "password_reset"]
    assert after.context is None and after.scrubbed_at is not None


def test_an_email_change_mails_the_new_address_and_tells_the_old(
    app: FastAPI, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    member, _headers = member_with_headers(app)
    assert member.id is not None
    with Session(engine) as session:
        publish(
            session,
            EmailChangeRequested(member_id=member.id, new_email="new@example.com", token="t-1"),
        )
        publish(session, EmailChanged(member_id=member.id, old_email="old@example.com"))
        session.commit()
    dispatch(engine, make_settings(settings.database_url, mail_url=f"file:{tmp_path}"))
    by_recipient = {m["To"]: m for m in sent(tmp_path)}
    confirm, told = by_recipient["new@example.com"], by_recipient["old@example.com"]
    assert "verify-email?token=t-1" in parts(confirm)[0]
    assert "old@example.com" in parts(told)[0] and "token" not in parts(told)[0]


def test_a_member_in_english_gets_english_mail(
    app: FastAPI, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    member = make_member(app)
    with Session(engine) as session:
        row = session.get(Member, member.id)
        assert row is not None
        row.locale = Locale.EN
        session.add(row)
        principals_changed(session, member_ids=[row.id or 0])
        session.commit()
    with Session(engine) as session:
        assert member.id is not None
        publish(
            session,
            EmailChangeRequested(member_id=member.id, new_email="en@example.com", token="t-2"),
        )
        session.commit()
    dispatch(engine, make_settings(settings.database_url, mail_url=f"file:{tmp_path}"))
    [mail] = [m for m in sent(tmp_path) if m["To"] == "en@example.com"]
    assert mail["Subject"] == "Confirm your new email address"
