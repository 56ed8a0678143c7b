"""Messages from templates: one pair (`<name>.txt`, `<name>.html`) per mail in
app/mail/templates, written once for every language.

Their words are `{% trans %}` blocks (Jinja2's i18n extension), translated through the
gettext catalogues of app.i18n. The text template's first line is the subject, then a blank
line, then the body. The HTML template extends `_layout.html` and is autoescaped, so
whatever a member wrote (a name, a comment quoted in a notification) cannot inject markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
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


class _HeaderClasses(HeaderRegistry):
    """The standard registry, with the class it makes for a header name kept: the stock
    one builds a new class (`type(...)`) for every header of every message."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        made = self._made.get(name)
        if made is None:
            made = self._made[name] = super().__getitem__(name)
        return made


# email.policy.default with the registry above: the same headers, the same bytes.
POLICY = policy.default.clone(header_factory=_HeaderClasses())


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
) -> EmailMessage:
    """The whole message: headers, and the text and HTML parts (multipart/alternative)."""
    values: dict[str, Any] = {**context, "app_url": app_url(settings), "unsubscribe_url": None}
    unsubscribe = None
    if unsubscribe_kind is not None and member_id is not None:
        unsubscribe = unsubscribe_url(settings, member_id, unsubscribe_kind)
        values["unsubscribe_url"] = unsubscribe
    rendered = render(template, locale, values)
    message = EmailMessage(policy=POLICY)
    message["From"] = settings.mail_from
    message["To"] = recipient
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(
        idstring=f"mail{message_id}", domain=_domain(settings.mail_from)
    )
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe is not None:
        # RFC 8058: one POST to this address, without logging in, turns this mail off.
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    # After the parts: set_content moves Content-* headers into the part it makes.
    message["Content-Language"] = locale
    return message
