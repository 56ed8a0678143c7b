"""The outbox: written with its cause, sent by the webhook dispatcher through a real SMTP
server (plain, STARTTLS with a certificate the test makes) or to files, retried with
back-off, its tokens cleared once sent."""

from __future__ import annotations

import threading
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.core.clock import utcnow
from app.core.config import Settings
from app.mail import outbox
from app.models import DeliveryStatus, Member, WebhookAttempt, WebhookDelivery
from app.webhooks import retention
from tests.conftest import make_settings
from tests.factories import make_member
from tests.mail.conftest import (
    Certificate,
    Inbox,
    dispatch,
    free_port,
    mail_deliveries,
    mails,
    parts,
)


def register(client: TestClient, handle: str = "rina_draws", name: str = "Rina") -> None:
    body = {
        "email": f"{handle}@example.com",
        "password": "correct horse battery",
        "handle": handle,
        "display_name": name,
    }
    assert client.post("/api/v1/auth/register", json=body).status_code == 201


def mail_settings(settings: Settings, **overrides: object) -> Settings:
    return make_settings(settings.database_url, **overrides)


def test_registering_writes_a_welcome_mail_in_its_transaction(
    client: TestClient, engine: Engine
) -> None:
    register(client)
    [mail] = mails(engine)
    assert (mail.recipient, mail.template, mail.locale) == (
        "rina_draws@example.com",
        "welcome",
        "id",
    )
    assert mail.context == {"display_name": "Rina", "handle": "rina_draws"}
    [delivery] = mail_deliveries(engine)
    assert delivery.status == DeliveryStatus.PENDING.value
    assert delivery.webhook_id is None and delivery.chat_bridge_id is None


def test_a_failed_cause_writes_no_mail(app: FastAPI, engine: Engine) -> None:
    member = make_member(app)  # its welcome is written with it
    before = mails(engine)
    with Session(engine) as session:
        row = session.get(Member, member.id)
        assert row is not None
        outbox.to_member(session, row, template="password_changed", context={})
        session.rollback()
    assert len(mails(engine)) == len(before) == 1


def test_the_file_transport_writes_one_eml_and_clears_the_context(
    client: TestClient, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register(client, name="Rina <b>Wijaya</b>")
    assert dispatch(engine, mail_settings(settings, mail_url=f"file:{tmp_path}")) == 1
    [path] = list(tmp_path.glob("*.eml"))
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == "Selamat datang di Sanggar, Rina <b>Wijaya</b>!"
    assert message["To"] == "rina_draws@example.com"
    assert "List-Unsubscribe" not in message  # an account mail, not a notification
    text, html = parts(message)
    assert "Halo Rina <b>Wijaya</b>" in text and "/first-steps" in text
    assert "Rina &lt;b&gt;Wijaya&lt;/b&gt;" in html and "<b>Wijaya" not in html
    [delivery] = mail_deliveries(engine)
    assert delivery.status == DeliveryStatus.SUCCEEDED.value
    [mail] = mails(engine)
    assert mail.context is None and mail.scrubbed_at is not None
    assert dispatch(engine, mail_settings(settings, mail_url=f"file:{tmp_path}")) == 0


def test_sent_through_a_real_smtp_server(
    client: TestClient, engine: Engine, settings: Settings, smtp_server: Inbox
) -> None:
    register(client)
    url = f"smtp://127.0.0.1:{smtp_server.port}"
    assert (
        dispatch(
            engine, mail_settings(settings, mail_url=url, mail_from="Sanggar <hi@sanggar.test>")
        )
        == 1
    )
    [(envelope, message)] = smtp_server.messages
    assert envelope.rcpt_tos == ["rina_draws@example.com"]
    assert envelope.mail_from == "hi@sanggar.test"
    assert message["Message-ID"].endswith("@sanggar.test>")
    text, html = parts(message)
    assert "Selamat datang" in text and html.lstrip().startswith("<!doctype html>")
    [delivery] = mail_deliveries(engine)
    assert delivery.status == DeliveryStatus.SUCCEEDED.value


def test_starttls_with_the_servers_certificate_and_a_login(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    tls_smtp_server: tuple[Inbox, Certificate],
) -> None:
    inbox, certificate = tls_smtp_server
    register(client)
    url = f"smtp+starttls://sanggar:p%40ss%20word@127.0.0.1:{inbox.port}"
    # Not trusted yet: the certificate is checked, the mail waits for a retry.
    assert dispatch(engine, mail_settings(settings, mail_url=url)) == 1
    [delivery] = mail_deliveries(engine)
    assert delivery.status == DeliveryStatus.PENDING.value and inbox.messages == []
    with Session(engine) as session:
        [attempt] = session.exec(select(WebhookAttempt)).all()
    assert attempt.error is not None and "CERTIFICATE_VERIFY_FAILED" in attempt.error
    # Trusted through SANGGAR_SMTP_CA_FILE: sent over TLS, logged in.
    trusting = mail_settings(settings, mail_url=url, smtp_ca_file=str(certificate.cert))
    with Session(engine) as session:
        row = session.get(type(delivery), delivery.id)
        assert row is not None
        row.next_attempt_at = utcnow()
        session.add(row)
        session.commit()
    assert dispatch(engine, trusting) == 1
    assert inbox.logins == ["sanggar"]
    [(envelope, _message)] = inbox.messages
    assert envelope.rcpt_tos == ["rina_draws@example.com"]
    assert mail_deliveries(engine)[0].status == DeliveryStatus.SUCCEEDED.value


def test_smtp_plus_starttls_refuses_a_server_without_it(
    client: TestClient, engine: Engine, settings: Settings, smtp_server: Inbox
) -> None:
    register(client)
    url = f"smtp+starttls://127.0.0.1:{smtp_server.port}"
    dispatch(engine, mail_settings(settings, mail_url=url))
    assert smtp_server.messages == []
    assert mail_deliveries(engine)[0].status == DeliveryStatus.PENDING.value


def test_a_server_down_is_retried_with_back_off(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    register(client)
    before = utcnow()
    down = mail_settings(
        settings, mail_url=f"smtp://127.0.0.1:{free_port()}", webhook_retry_base_seconds=60
    )
    assert dispatch(engine, down) == 1
    [delivery] = mail_deliveries(engine)
    assert delivery.status == DeliveryStatus.PENDING.value and delivery.attempt_count == 1
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at >= before + timedelta(seconds=59)
    assert delivery.leased_until is None
    [mail] = mails(engine)
    assert mail.context is not None  # kept until it is sent
    assert dispatch(engine, down) == 0  # not due yet


def test_a_mail_that_keeps_failing_fails_and_is_cleared(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    register(client)
    down = mail_settings(
        settings, mail_url=f"smtp://127.0.0.1:{free_port()}", webhook_max_attempts=1
    )
    dispatch(engine, down)
    [delivery] = mail_deliveries(engine)
    assert delivery.status == DeliveryStatus.FAILED.value
    assert mails(engine)[0].context is None


@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_default_locale_chooses_the_language(
    app: FastAPI,
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    locale: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        outbox, "get_settings", lambda: mail_settings(settings, default_locale=locale)
    )
    member = make_member(app, display_name="Budi")  # its welcome is written with it
    dispatch(engine, mail_settings(settings, mail_url=f"file:{tmp_path}"))
    [path] = list(tmp_path.glob("*.eml"))
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    expected = {"id": "Selamat datang di Sanggar, Budi!", "en": "Welcome to Sanggar, Budi!"}
    assert message["Subject"] == expected[locale]
    assert message["Content-Language"] == locale
    assert [m.template for m in mails(engine) if m.member_id == member.id] == ["welcome"]


def test_the_log_retention_forgets_a_sent_mail_with_its_delivery(
    client: TestClient, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register(client)
    register(client, handle="budi_paints", name="Budi")
    dispatch(engine, mail_settings(settings, mail_url=f"file:{tmp_path}"))
    with Session(engine) as session:
        # One mail still pending: kept, however old.
        pending = session.get(WebhookDelivery, mail_deliveries(engine)[1].id)
        assert pending is not None
        pending.status, pending.finished_at = DeliveryStatus.PENDING.value, None
        session.add(pending)
        session.commit()
        forgotten = retention.forget_finished(session, finished_before=utcnow() + timedelta(days=1))
        session.commit()
    assert forgotten == 1
    assert [m.recipient for m in mails(engine)] == ["budi_paints@example.com"]
    assert len(mail_deliveries(engine)) == 1


def test_two_dispatchers_at_once_send_each_mail_once(
    app: FastAPI, engine: Engine, settings: Settings, smtp_server: Inbox
) -> None:
    for _ in range(20):
        make_member(app)  # each with its welcome mail
    out = mail_settings(settings, mail_url=f"smtp://127.0.0.1:{smtp_server.port}")
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            dispatch(engine, out)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    recipients = [envelope.rcpt_tos[0] for envelope, _message in smtp_server.messages]
    assert len(recipients) == 20 and len(set(recipients)) == 20
    assert {d.status for d in mail_deliveries(engine)} == {DeliveryStatus.SUCCEEDED.value}
    with Session(engine) as session:
        assert len(session.exec(select(WebhookAttempt)).all()) == 20
