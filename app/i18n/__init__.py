"""Indonesian and English for everything the API says in words: problem titles, notification
texts and mails.

The words live in gettext catalogues, `locales/<locale>/LC_MESSAGES/messages.po`, extracted
from the code and the mail templates (`babel.cfg`) and compiled to `.mo` by the install
(`make install` runs `pybabel compile`). The message ids are the English texts, so code
reads naturally and English needs no lookup when a catalogue is missing.

This package imports only the standard library and Babel, so every layer may use it (the
problem handlers in app.core among them).
"""

from __future__ import annotations

import io
import logging
from datetime import datetime
from enum import StrEnum
from functools import cache, lru_cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale as BabelLocale
from babel import UnknownLocaleError
from babel.core import parse_locale
from babel.dates import format_datetime
from babel.support import Translations

CATALOGUES = Path(__file__).parent / "locales"
DOMAIN = "messages"
log = logging.getLogger(__name__)


class Locale(StrEnum):
    """The languages Sanggar speaks (a member's `locale`, their mails')."""

    ID = "id"
    EN = "en"


LOCALES = tuple(locale.value for locale in Locale)


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "mark, translate later")
    """Marks a text for extraction; it is translated where it is shown."""
    return message


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue of a locale. Read from the `.po` (with a warning) when the
    install did not compile it, so a fresh checkout still speaks both languages."""
    directory = CATALOGUES / locale / "LC_MESSAGES"
    if not (directory / f"{DOMAIN}.mo").exists() and (directory / f"{DOMAIN}.po").exists():
        log.warning("i18n: %s has no compiled catalogue; run `make install`", locale)
        return _from_po(directory / f"{DOMAIN}.po")
    return Translations.load(str(CATALOGUES), [locale], DOMAIN)


def _from_po(path: Path) -> NullTranslations:
    from babel.messages.mofile import write_mo  # an uncompiled catalogue's only
    from babel.messages.pofile import read_po

    with path.open("rb") as po:
        catalogue = read_po(po, locale=path.parent.parent.name)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext(locale: str, message: str) -> str:
    return translations(locale).gettext(message) if message else message


def translate(locale: str, message: str, values: dict[str, Any] | None = None) -> str:
    """The message in `locale`, its `{placeholders}` filled from `values` (a `moment()` is
    written out as that language writes dates)."""
    text = gettext(locale, message)
    if not values:
        return text
    return text.format(**{name: _shown(value, locale) for name, value in values.items()})


def moment(at: datetime, timezone: str = "UTC") -> dict[str, str]:
    """A time to quote in a message, kept as data (JSON) until it is shown in a language:
    on the wall clock of `timezone` (an IANA name), which is named after it."""
    return {"at": at.isoformat(), "timezone": timezone}


def message(msgid: str, **values: Any) -> dict[str, Any]:
    """A message quoted inside another (`"{moderation} Note: {reason}"`), translated with
    it: kept as data (JSON) until it is shown in a language."""
    return {"message": msgid, "values": values}


def _shown(value: Any, locale: str) -> Any:
    if isinstance(value, dict) and value.keys() == {"message", "values"}:
        return translate(locale, value["message"], value["values"])
    if isinstance(value, dict) and value.keys() == {"at", "timezone"}:
        return _written(value["at"], value["timezone"], locale)
    return value


@lru_cache(maxsize=4096)
def _written(at: str, timezone: str, locale: str) -> str:
    """A moment as `locale` writes it. Remembered: a feed read again shows the same times,
    and Babel's formatting is the dearest part of showing a notification."""
    zone = ZoneInfo(timezone)
    moment = datetime.fromisoformat(at).astimezone(zone)
    written = format_datetime(moment, "EEEE d MMMM y, HH:mm", tzinfo=zone, locale=_babel(locale))
    return f"{written} ({timezone})"


@cache
def _babel(locale: str) -> BabelLocale:
    return BabelLocale.parse(locale)  # parsed once: formatting with a string parses each time


def negotiate(accept_language: str | None) -> str | None:
    """The best of our locales for an `Accept-Language` header (q-values honoured, `*` and
    regional variants understood: `en-GB;q=0.9` is `en`), or None when none fits."""
    if not accept_language:
        return None
    wanted = []
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        quality = _quality(params)
        if tag and quality > 0:
            wanted.append((quality, tag.strip()))
    # Stable sort: equal q-values keep the client's order.
    ranked = [tag for _, tag in sorted(wanted, key=lambda pair: -pair[0])]
    if "*" in ranked:
        ranked = ranked[: ranked.index("*")] + list(LOCALES)
    found = BabelLocale.negotiate(ranked, list(LOCALES), sep="-")
    return None if found is None else _ours(str(found))


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def _ours(tag: str) -> str | None:
    try:
        language = parse_locale(tag, sep="_")[0]
    except (ValueError, UnknownLocaleError):
        return None
    return language if language in LOCALES else None


def resolve(member_locale: str | None, accept_language: str | None, default: str) -> str:
    """The member's locale when known, else the request's `Accept-Language`, else the
    configured default."""
    if member_locale in LOCALES:
        return str(member_locale)
    return negotiate(accept_language) or default


# HTTP's reason phrases: a problem raised without a detail has its status's as `detail`.
HTTP_PHRASES = (
    N_("Bad Request"),
    N_("Unauthorized"),
    N_("Forbidden"),
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("Request Timeout"),
    N_("Conflict"),
    N_("Precondition Failed"),
    N_("Request Entity Too Large"),
    N_("Request-URI Too Long"),
    N_("Unsupported Media Type"),
    N_("Requested Range Not Satisfiable"),
    N_("Unprocessable Entity"),
    N_("Too Many Requests"),
    N_("Request Header Fields Too Large"),
    N_("Internal Server Error"),
    N_("Service Unavailable"),
)

# Where a request's member locale is noted (app.principal.dependencies), in the ASGI scope's
# `state`, for the problem handlers that only see the request.
MEMBER_LOCALE = "member_locale"


def of_request(scope: Any, member_locale: str | None = None) -> str:
    """The language to answer an ASGI request in: its member's (given, or noted in the
    scope), else its `Accept-Language`, else the app's `default_locale` setting."""
    if member_locale is None:
        member_locale = (scope.get("state") or {}).get(MEMBER_LOCALE)
    headers = scope.get("headers") or ()
    header = next((v.decode("latin-1") for k, v in headers if k == b"accept-language"), None)
    settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
    default = getattr(settings, "default_locale", Locale.ID.value)
    return resolve(member_locale, header, default)
