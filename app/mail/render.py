"""Messages from templates: one pair (`<name>.txt`, `<name>.html`) per mail in
app/mail/templates, written once for every language.

Their words are `{% trans %}` blocks (Jinja2's i18n extension), translated through the
gettext catalogues of app.i18n. The text template's first line is the subject, then a blank
line, then the body. The HTML template extends `_layout.html` and is autoescaped, so
whatever a member wrote (a name, a comment quoted in a notification) cannot inject markup.
"""

from __future__ import annotations

import binascii
import secrets
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app import i18n
from app.core.config import Settings
from app.mail import links, tokens

if TYPE_CHECKING:  # Jinja2 loads at the first mail rendered, not with the app
    import jinja2

TEMPLATES = Path(__file__).parent / "templates"
LOCAL_URL = "http://localhost:8000"  # links when neither app_url nor public_base_url is set


@cache
def _environment(locale: str) -> jinja2.Environment:
    """One environment per language, its catalogue installed once: mails are rendered in
    worker threads, so nothing is switched on a shared environment per render."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,  # the templates ship with the code: no stat() per render
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        i18n.translations(locale), newstyle=True
    )
    environment.globals["app_path"] = links.app_path  # the app's pages: app.mail.links
    return environment


@cache
def _template(locale: str, filename: str) -> jinja2.Template:
    """A template compiled once per language (Template objects render in any thread)."""
    return _environment(locale).get_template(filename)


@cache
def _domain(mail_from: str) -> str:
    """The Message-ID's domain: the sender's."""
    return parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def app_url(settings: Settings) -> str:
    """The members' app that mails link to."""
    return (settings.app_url or settings.public_base_url or LOCAL_URL).rstrip("/")


def api_url(settings: Settings) -> str:
    """The API's public address (unsubscribe links point at it)."""
    return (settings.public_base_url or LOCAL_URL).rstrip("/")


def unsubscribe_url(settings: Settings, member_id: int, kind: str) -> str:
    token = tokens.unsubscribe_token(settings.signing_key(), member_id, kind)
    return f"{api_url(settings)}/api/v1/mail/unsubscribe?token={token}"


def template_names() -> set[str]:
    """Every mail's name (`welcome`, …): the files not starting with `_`."""
    return {p.stem for p in TEMPLATES.iterdir() if not p.name.startswith("_")}


def render(name: str, locale: str, context: dict[str, Any]) -> Rendered:
    locale = locale if locale in i18n.LOCALES else i18n.Locale.EN.value
    text = _template(locale, f"{name}.txt").render(context, locale=locale)
    subject, _, body = text.partition("\n")
    html = _template(locale, f"{name}.html").render(context, subject=subject, locale=locale)
    return Rendered(subject=" ".join(subject.split()), text=body.lstrip("\n"), html=html)


def build(
    *,
    message_id: int,
    member_id: int | None,
    recipient: str,
    template: str,
    locale: str,
    unsubscribe_kind: str | None,
    context: dict[str, Any],
    settings: Settings,
) -> Mail:
    """The whole message: headers, and the text and HTML parts (multipart/alternative)."""
    values: dict[str, Any] = {**context, "app_url": app_url(settings), "unsubscribe_url": None}
    unsubscribe = None
    if unsubscribe_kind is not None and member_id is not None:
        unsubscribe = unsubscribe_url(settings, member_id, unsubscribe_kind)
        values["unsubscribe_url"] = unsubscribe
    rendered = render(template, locale, values)
    sender_line, sender = _sender(settings.mail_from)
    message_id_header = make_msgid(idstring=f"mail{message_id}", domain=_domain(settings.mail_from))
    if not (recipient.isascii() and sender.isascii()):
        # An address that needs SMTPUTF8 (RFC 6531): left to the email package.
        message = _email_message(
            rendered, recipient, locale, unsubscribe, message_id_header, settings.mail_from
        )
        return Mail(sender, recipient, rendered.subject, b"", message)
    headers = [
        sender_line,
        _header("To", recipient, fold=False, encode=False),
        _header("Subject", rendered.subject),
        f"Date: {formatdate(usegmt=True)}",
        f"Message-ID: {message_id_header}",
        "Auto-Submitted: auto-generated",
    ]
    if unsubscribe is not None:
        # RFC 8058: one POST to this address, without logging in, turns this mail off. RFC
        # 2369: the address in angle brackets as it is (never encoded words), unfolded.
        headers.append(_header("List-Unsubscribe", f"<{unsubscribe}>", fold=False))
        headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    text = _part("plain", rendered.text)
    html = _part("html", rendered.html)
    boundary = f"=_{secrets.token_hex(16)}"
    while boundary.encode() in text or boundary.encode() in html:  # pragma: no cover
        boundary = f"=_{secrets.token_hex(16)}"
    headers += [
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative;\n boundary="{boundary}"',
        _header("Content-Language", locale),
    ]
    delimiter = f"\n--{boundary}\n".encode()
    data = b"".join(
        (
            "\n".join(headers).encode(),
            b"\n",
            delimiter,
            text,
            delimiter,
            html,
            f"\n--{boundary}--\n".encode(),
        )
    )
    return Mail(sender, recipient, rendered.subject, data)


@dataclass(frozen=True)
class Mail:
    """A message ready to hand over: its envelope, its subject (for the log) and its bytes,
    lines ending in "\n" (`as_bytes`), or, for an address only SMTPUTF8 can carry, the
    email package's message."""

    sender: str  # the envelope's sender (the address of `SANGGAR_MAIL_FROM`)
    recipient: str
    subject: str
    data: bytes
    message: EmailMessage | None = None

    def as_bytes(self, linesep: str = "\n") -> bytes:
        if self.message is not None:
            from email import policy  # this rare mail only: not imported with the app

            # RFC 6532: the headers in UTF-8, as SMTPUTF8 carries them.
            written = policy.default.clone(linesep=linesep, utf8=True)
            return self.message.as_bytes(policy=written)
        return self.data if linesep == "\n" else self.data.replace(b"\n", linesep.encode())


# Header lines are written here, not by the email package: its header objects parse every
# value and refold it when the message is serialised, which cost a mail more CPU than
# rendering it. The rules kept: ASCII values as they are, folded at spaces before 78
# characters; any other value (or one that could read as an encoded word) as RFC 2047
# encoded words of at most 75 characters; no line break in any value.
MAX_LINE = 78
_ENCODED_BYTES = 42  # UTF-8 bytes per encoded word: base64 of 42 is 56, 68 with =?utf-8?b??=


def _header(name: str, value: str, *, fold: bool = True, encode: bool = True) -> str:
    """`encode=False`: an address, never made encoded words (it is ASCII here)."""
    if "\n" in value or "\r" in value:
        raise ValueError(f"{name}: a header value has no line break")
    if not encode or (value.isascii() and "=?" not in value):
        line = f"{name}: {value}"
        return _fold(line) if fold else line
    return f"{name}: {_encoded_words(value)}"


def _fold(line: str) -> str:
    """Breaks an ASCII header line before spaces so that its lines keep within 78
    characters (a word longer than that stays whole: only the 998 limit is a must)."""
    if len(line) <= MAX_LINE:
        return line
    lines: list[str] = []
    current = ""
    for word in line.split(" "):
        if current and word and len(current) + 1 + len(word) > MAX_LINE:
            lines.append(current)
            current = " " + word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return "\n".join(lines)


def _encoded_words(value: str) -> str:
    """The value as base64 encoded words (`=?utf-8?b?…?=`), one per line, no character
    split between two of them (RFC 2047 section 5: each word decodes on its own)."""
    words: list[str] = []
    chunk = bytearray()
    for character in value:
        encoded = character.encode()
        if len(chunk) + len(encoded) > _ENCODED_BYTES:
            words.append(_word(bytes(chunk)))
            chunk.clear()
        chunk += encoded
    if chunk or not words:
        words.append(_word(bytes(chunk)))
    return "\n ".join(words)


def _word(chunk: bytes) -> str:
    return f"=?utf-8?b?{binascii.b2a_base64(chunk, newline=False).decode()}?="


def _part(subtype: str, content: str) -> bytes:
    """A text part's headers and body: 7bit when ASCII in short lines, else quoted-printable
    (line breaks made "\n", as the email package does)."""
    body = b"\n".join(content.encode().splitlines()) + b"\n"
    if body.isascii() and max(map(len, body.split(b"\n"))) <= MAX_LINE:
        encoding = "7bit"
    else:
        encoding = "quoted-printable"
        body = binascii.b2a_qp(body, istext=True)
    head = (
        f'Content-Type: text/{subtype}; charset="utf-8"\nContent-Transfer-Encoding: {encoding}\n\n'
    )
    return head.encode() + body


@cache
def _sender(mail_from: str) -> tuple[str, str]:
    """The From line and the envelope's address."""
    name, address = parseaddr(mail_from)
    if name and (not name.isascii() or "=?" in name):
        return f"From: {_encoded_words(name)} <{address}>", address
    return _header("From", formataddr((name, address))), address


def _email_message(
    rendered: Rendered,
    recipient: str,
    locale: str,
    unsubscribe: str | None,
    message_id: str,
    mail_from: str,
) -> EmailMessage:
    from email import policy  # this rare mail only: not imported with the app

    message = EmailMessage(policy=policy.default)
    message["From"] = mail_from
    message["To"] = recipient
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe is not None:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    # After the parts: set_content moves Content-* headers into the part it makes.
    message["Content-Language"] = locale
    return message
