"""Hands a message to the mail server named by `SANGGAR_MAIL_URL`, or writes it to a file.

- `smtp://user:pass@host:587`: STARTTLS whenever the server offers it, plain otherwise;
- `smtp+starttls://…`: STARTTLS or nothing (a server that does not offer it is an error);
- `smtps://…:465`: TLS from the first byte (implicit TLS);
- `file:<directory>`: one `.eml` file per message and one log line (the default, so a
  development setup needs no mail server).

The user name and password are percent-decoded from the URL. Certificates are always
checked, against the system's trust store or `SANGGAR_SMTP_CA_FILE`.

The standard library's smtplib does the talking: the dispatcher sends from worker threads,
so a synchronous client fits, and it needs no dependency (aiosmtplib would need an event
loop per thread for nothing).
"""

from __future__ import annotations

import os
import ssl
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import structlog

from app.core.config import Settings
from app.core.uuids import uuid7
from app.mail.render import Mail

log = structlog.get_logger("sanggar.mail")

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
ERROR_LIMIT = 500


class MailUrlInvalid(ValueError):
    pass


@dataclass(frozen=True)
class Sent:
    """What came of one attempt: the server's reply code (250 when accepted), or an error."""

    code: int | None
    duration_ms: int
    error: str | None
    reply: str = ""


@dataclass(frozen=True)
class SmtpServer:
    scheme: str
    host: str
    port: int
    user: str | None
    password: str | None


@cache
def parse(url: str) -> SmtpServer | Path:
    """The server, or the directory of a `file:` URL."""
    if url.startswith("file:"):
        return Path(url.removeprefix("file:").removeprefix("//") or ".")
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise MailUrlInvalid("SANGGAR_MAIL_URL: smtp://, smtp+starttls://, smtps:// or file:")
    return SmtpServer(
        scheme=parts.scheme,
        host=parts.hostname,
        port=parts.port or DEFAULT_PORTS[parts.scheme],
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def tls_context(settings: Settings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.smtp_ca_file)


def send(message: Mail, settings: Settings) -> Sent:
    started = time.monotonic()

    def done(code: int | None, error: str | None, reply: str = "") -> Sent:
        elapsed = int((time.monotonic() - started) * 1000)
        cleaned = error.replace("\x00", "\ufffd")[:ERROR_LIMIT] if error else None
        return Sent(code, elapsed, cleaned, reply[:ERROR_LIMIT])

    try:
        target = parse(settings.mail_url.get_secret_value())
    except (MailUrlInvalid, ValueError) as error:
        return done(None, f"configuration: {error}")
    if isinstance(target, Path):
        path = write_file(target, message)
        log.info("mail_written", path=str(path), to=message.recipient, subject=message.subject)
        return done(250, None, f"written to {path.name}")
    import smtplib  # for a mail server only: not with the app nor the file transport

    try:
        return done(*_smtp(target, message, settings))
    except smtplib.SMTPResponseException as error:
        reply = (
            error.smtp_error.decode(errors="replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        return done(error.smtp_code, f"{type(error).__name__}: {reply}", reply)
    except smtplib.SMTPRecipientsRefused as error:
        return done(None, f"recipient refused: {error.recipients}")
    except (smtplib.SMTPException, OSError) as error:  # OSError: refused, timeout, TLS
        return done(None, f"{type(error).__name__}: {error}")


def _smtp(server: SmtpServer, message: Mail, settings: Settings) -> tuple[int, None, str]:
    import smtplib

    timeout = settings.smtp_timeout_seconds
    client: smtplib.SMTP
    if server.scheme == "smtps":
        client = smtplib.SMTP_SSL(
            server.host, server.port, timeout=timeout, context=tls_context(settings)
        )
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    with client:
        client.ehlo()
        if server.scheme != "smtps":
            if client.has_extn("starttls"):
                client.starttls(context=tls_context(settings))
                client.ehlo()
            elif server.scheme == "smtp+starttls":
                raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
        if server.user is not None:
            client.login(server.user, server.password or "")
        # One recipient: refused, it raises SMTPRecipientsRefused; returned, it was accepted.
        if message.message is not None:  # an address only SMTPUTF8 carries
            client.send_message(message.message)
        else:
            client.sendmail(message.sender, [message.recipient], message.as_bytes("\r\n"))
    return 250, None, "accepted"


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def write_file(directory: Path, message: Mail) -> Path:
    """Writes the message whole or not at all (a temporary file renamed into place). Its
    name is a new UUIDv7, so no random name is tried (tempfile.mkstemp's cost)."""
    name = str(uuid7())
    temporary = directory / f"{name}.tmp"
    try:
        fd = os.open(temporary, _NEW_FILE, 0o600)
    except FileNotFoundError:  # the first mail (or the directory was removed): made then,
        directory.mkdir(parents=True, exist_ok=True)  # not stat'ed for every mail
        fd = os.open(temporary, _NEW_FILE, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(message.as_bytes())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary.replace(directory / f"{name}.eml")
