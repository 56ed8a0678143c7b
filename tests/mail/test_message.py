"""The message a mail becomes (app.mail.render.build): written line by line, not by the
email package's header objects, yet read back by it as the same message: the headers, the
plain-text and HTML parts, encoded words for what is not ASCII, lines within 78 characters,
and a List-Unsubscribe address as it is."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from app.core.config import Settings
from app.mail import render, transport
from tests.conftest import make_settings
from tests.mail.conftest import Inbox, parts

LONG_TITLE = "Rani commented on “Sketsa pasar pagi di Bandung, dengan cahaya yang jatuh miring”"
CONTEXT = {
    "display_name": "Dewi Ayu Lestari ✓",
    "handle": "dewi",
    "kind": "comment.created",
    "title": LONG_TITLE,
    "body": "Warnanya hidup sekali, terutama cahaya di sisi kiri. " * 4 + "\n. a line alone",
}


def _settings(settings: Settings, **overrides: Any) -> Settings:
    values = {"mail_from": "Sanggar <noreply@sanggar.test>", **overrides}
    return make_settings(settings.database_url, public_base_url="https://sanggar.test", **values)


def _build(settings: Settings, **overrides: Any) -> render.Mail:
    values: dict[str, Any] = {
        "message_id": 41,
        "member_id": 7,
        "recipient": "dewi@example.com",
        "template": "notification",
        "locale": "en",
        "unsubscribe_kind": "comment.created",
        "context": CONTEXT,
        "settings": settings,
        **overrides,
    }
    return render.build(**values)


def _parsed(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _reference(settings: Settings, mail: render.Mail, message_id: str) -> EmailMessage:
    """The same mail made by the email package (what build did before)."""
    unsubscribe = render.unsubscribe_url(settings, 7, "comment.created")
    rendered = render.render(
        "notification",
        "en",
        {**CONTEXT, "app_url": render.app_url(settings), "unsubscribe_url": unsubscribe},
    )
    built = render._email_message(
        rendered, mail.recipient, "en", unsubscribe, message_id, settings.mail_from
    )
    return _parsed(built.as_bytes())


@pytest.mark.parametrize("mail_from", ["Sanggar <noreply@sanggar.test>", "Sanggar ✓ <no@x.test>"])
def test_read_back_as_the_email_package_would_write_it(settings: Settings, mail_from: str) -> None:
    settings = _settings(settings, mail_from=mail_from)
    mail = _build(settings)
    assert mail.message is None  # written line by line
    message = _parsed(mail.as_bytes())
    reference = _reference(settings, mail, message["Message-ID"])
    for name in ("From", "To", "Subject", "Message-ID", "Auto-Submitted", "Content-Language"):
        assert message[name] == reference[name], name
    assert message["Subject"] == LONG_TITLE
    assert message["From"].addresses[0].display_name == mail_from.partition(" <")[0]
    assert message["Message-ID"].endswith(".mail41@" + mail_from.partition("@")[2])
    assert message["Date"].datetime is not None
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parts(message) == parts(reference)
    text, html = parts(message)
    assert "Hello Dewi Ayu Lestari ✓," in text and "\n. a line alone" in text
    assert html.startswith("<!doctype html>") and "Dewi Ayu Lestari ✓" in html
    assert mail.subject == LONG_TITLE and mail.recipient == "dewi@example.com"
    assert mail.sender == mail_from.partition("<")[2].rstrip(">")


def test_list_unsubscribe_is_the_address_in_angle_brackets(settings: Settings) -> None:
    """RFC 2369: `<url>` as it is. The email package folded the long address into encoded
    words (`=?utf-8?q?=3Chttps=3A//…`), which mail clients do not read as an address."""
    settings = _settings(settings)
    url = render.unsubscribe_url(settings, 7, "comment.created")
    data = _build(settings).as_bytes()
    assert f"\nList-Unsubscribe: <{url}>\n".encode() in data
    assert _parsed(data)["List-Unsubscribe"] == f"<{url}>"


def test_only_ascii_in_lines_of_at_most_78_characters(settings: Settings) -> None:
    data = _build(_settings(settings, mail_from="Sanggar ✓ <no@x.test>")).as_bytes()
    assert data.isascii()
    long = [
        line
        for line in data.split(b"\n")
        if len(line) > 78 and not line.startswith(b"List-Unsubscribe:")
    ]
    assert long == []


def test_an_ascii_subject_is_folded_at_spaces(settings: Settings) -> None:
    title = "Budi commented on " + "a very long title of a work " * 5
    mail = _build(_settings(settings), context={**CONTEXT, "title": title})
    head = mail.as_bytes().partition(b"\n\n")[0].decode()
    subject = head[head.index("Subject:") : head.index("\nDate:")]
    assert "\n " in subject and "=?" not in subject
    assert all(len(line) <= 78 for line in subject.split("\n"))
    assert _parsed(mail.as_bytes())["Subject"] == " ".join(title.split())


def test_what_could_read_as_an_encoded_word_is_encoded(settings: Settings) -> None:
    title = "=?utf-8?q?not_a_word?="
    mail = _build(_settings(settings), context={**CONTEXT, "title": title})
    assert b"Subject: =?utf-8?q?not" not in mail.as_bytes()
    assert _parsed(mail.as_bytes())["Subject"] == title


def test_a_line_break_in_an_address_is_refused(settings: Settings) -> None:
    with pytest.raises(ValueError, match="line break"):
        _build(_settings(settings), recipient="dewi@example.com\nBcc: x@example.com")


def test_an_address_only_smtputf8_carries_is_left_to_the_email_package(
    settings: Settings, tmp_path: Path
) -> None:
    settings = _settings(settings, mail_url=f"file:{tmp_path}")
    mail = _build(settings, recipient="dewi@contoh.例子")
    assert mail.message is not None
    assert transport.send(mail, settings).code == 250
    [path] = tmp_path.glob("*.eml")
    assert _parsed(path.read_bytes())["To"] == "dewi@contoh.例子"


def test_over_smtp_every_line_ends_in_crlf(settings: Settings, smtp_server: Inbox) -> None:
    settings = _settings(settings, mail_url=f"smtp://127.0.0.1:{smtp_server.port}")
    sent = transport.send(_build(settings), settings)
    assert (sent.code, sent.error) == (250, None)
    [(envelope, message)] = smtp_server.messages
    assert envelope.mail_from == "noreply@sanggar.test"
    assert envelope.rcpt_tos == ["dewi@example.com"]
    raw = envelope.original_content or b""
    assert raw.count(b"\n") == raw.count(b"\r\n") > 20
    assert message["Subject"] == LONG_TITLE
    assert "\n. a line alone" in parts(message)[0]  # a leading dot survives SMTP


def test_the_file_is_written_whole_under_a_new_name(settings: Settings, tmp_path: Path) -> None:
    settings = _settings(settings, mail_url=f"file:{tmp_path / 'new'}")
    first = transport.send(_build(settings), settings)
    second = transport.send(_build(settings), settings)
    assert first.code == second.code == 250
    written = sorted(p.name for p in (tmp_path / "new").iterdir())
    assert len(written) == 2 and all(name.endswith(".eml") for name in written)
