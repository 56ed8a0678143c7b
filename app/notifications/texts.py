"""A notification's words, kept as message ids and the values they quote, and shown in the
reader's language when they are read (the feed, the live stream, a mail).

`title` and `body` are English message ids marked with `N_()` where the notification is
sent (app/*/subscribers.py), so `pybabel extract` finds them; a body that is what a member
wrote (a comment) is the message "{text}" with that text as a value, never translated.
"""

from __future__ import annotations

from typing import Any, Protocol

from app import i18n

TITLE_LIMIT = 200
BODY_LIMIT = 2000


def clip(text: str, limit: int) -> str:
    """Titles quote what members wrote (an event's name); they must fit their column, not 500."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stored(title: str, body: str, values: dict[str, Any] | None) -> dict[str, Any]:
    """The `texts` column of a notification."""
    return {"title": title, "body": body, "values": values or {}}


def render(texts: dict[str, Any], locale: str) -> tuple[str, str]:
    """Title and body in `locale`, fitted to the same limits as the stored ones."""
    values = texts.get("values") or {}
    title = i18n.translate(locale, texts["title"], values)
    body = i18n.translate(locale, texts["body"], values) if texts.get("body") else ""
    return clip(title, TITLE_LIMIT), clip(body, BODY_LIMIT)


class Worded(Protocol):
    """What showing a notification reads: an entity, or a read model's row."""

    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def texts(self) -> dict[str, Any] | None: ...


def shown(notification: Worded, locale: str) -> tuple[str, str]:
    """What the reader sees: rendered in their language, or the stored text of rows that
    carry no message ids (announcements, rows written before them)."""
    if notification.texts is None:
        return notification.title, notification.body
    return render(notification.texts, locale)
