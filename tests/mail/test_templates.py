"""Every mail exists in both languages, as text and HTML, and renders with its context."""

from __future__ import annotations

from typing import Any

import pytest

from app.mail import kinds, render
from app.mail.render import TEMPLATES

CONTEXTS: dict[str, dict[str, Any]] = {
    "welcome": {},
    "notification": {"kind": "comment.created", "title": "Budi commented", "body": "Nice!"},
    "digest": {
        "challenges": [{"title": "Kota <Tua>", "path": "/challenges/1", "detail": "2026-12-12"}],
        "events": [{"title": "Sketch walk", "path": "/events/2", "detail": "2026-12-10, Bandung"}],
        "works": [{"title": "Senja", "path": "/submissions/3", "detail": None}],
        "threads": [{"title": "Tips", "path": "/threads/4", "detail": None}],
        "first_steps": ["join_event", "find_mentor"],
    },
    "password_reset": {"token": "tok-123", "minutes": 30, "requested_by_admin": False},
    "email_verification": {"token": "tok-123"},
    "email_change": {"token": "tok-123", "new_email": "new@example.com"},
    "email_changed": {"old_email": "old@example.com"},
    "password_changed": {},
}


def test_every_mail_exists_in_every_language_as_text_and_html() -> None:
    names = render.template_names()
    assert names == set(CONTEXTS)
    missing = [
        f"{name}.{locale}.{ext}"
        for name in names
        for locale in kinds.LOCALES
        for ext in ("txt", "html")
        if not (TEMPLATES / f"{name}.{locale}.{ext}").is_file()
    ]
    assert not missing, f"mails missing in a language: {missing}"
    expected = {
        f"{name}.{locale}.{ext}"
        for name in names
        for locale in kinds.LOCALES
        for ext in ("txt", "html")
    } | {f"_layout.{locale}.html" for locale in kinds.LOCALES}
    strays = {p.name for p in TEMPLATES.iterdir()} - expected
    assert not strays, f"files of no mail, or of a language no member has: {strays}"


@pytest.mark.parametrize("name", sorted(CONTEXTS))
@pytest.mark.parametrize("locale", kinds.LOCALES)
def test_each_mail_renders(name: str, locale: str) -> None:
    context = {
        "display_name": "Rina <i>W</i>",
        "handle": "rina",
        "app_url": "https://app.example",
        "unsubscribe_url": "https://api.example/api/v1/mail/unsubscribe?token=t",
        **CONTEXTS[name],
    }
    rendered = render.render(name, locale, context)
    assert rendered.subject and "\n" not in rendered.subject and "{" not in rendered.subject
    assert "Rina &lt;i&gt;W&lt;/i&gt;" in rendered.html
    assert "<i>W</i>" not in rendered.html
    assert "{{" not in rendered.text and "{%" not in rendered.text
    assert f'lang="{locale}"' in rendered.html
    if "token" in CONTEXTS[name]:
        assert "token=tok-123" in rendered.text and "token=tok-123" in rendered.html


def test_the_languages_differ() -> None:
    base = {"display_name": "R", "handle": "r", "app_url": "https://a", "unsubscribe_url": None}
    subjects = {render.render("welcome", locale, base).subject for locale in kinds.LOCALES}
    assert len(subjects) == 2
