"""Every mail is one text and one HTML template, translated through the catalogues
(app.i18n), and renders in every language with its context."""

from __future__ import annotations

from typing import Any

import pytest

from app.i18n import LOCALES
from app.mail import render
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


def test_every_mail_is_one_text_and_one_html_template() -> None:
    names = render.template_names()
    assert names == set(CONTEXTS)
    missing = [
        f"{name}.{ext}"
        for name in names
        for ext in ("txt", "html")
        if not (TEMPLATES / f"{name}.{ext}").is_file()
    ]
    assert not missing, f"mails missing a part: {missing}"
    # Words live in the catalogues, not in a copy of the template per language.
    per_language = [p.name for p in TEMPLATES.iterdir() if p.name.count(".") > 1]
    assert not per_language, f"one template per mail, translated with {{% trans %}}: {per_language}"


@pytest.mark.parametrize("name", sorted(CONTEXTS))
@pytest.mark.parametrize("locale", LOCALES)
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


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_the_languages_differ(name: str) -> None:
    """Every mail's subject, text and HTML read differently in each language."""
    base = {"display_name": "R", "handle": "r", "app_url": "https://a", "unsubscribe_url": "u"}
    mails = [render.render(name, locale, {**base, **CONTEXTS[name]}) for locale in LOCALES]
    # A notification's subject is its title, given already in the member's language.
    parts = ("text", "html") if name == "notification" else ("subject", "text", "html")
    for part in parts:
        assert len({getattr(mail, part) for mail in mails}) == len(LOCALES), part


def test_a_mail_in_indonesian_reads_indonesian() -> None:
    base = {"display_name": "Rina", "handle": "r", "app_url": "https://a", "unsubscribe_url": "u"}
    rendered = render.render("password_reset", "id", {**base, **CONTEXTS["password_reset"]})
    assert rendered.subject == "Atur ulang kata sandi Sanggar-mu"
    assert "Halo Rina," in rendered.text and "selama 30 menit" in rendered.text
    assert (
        "Berhenti menerima email seperti ini" in rendered.html or "unsubscribe" not in rendered.html
    )
    english = render.render("password_reset", "en", {**base, **CONTEXTS["password_reset"]})
    assert english.subject == "Reset your Sanggar password"
    assert "Hello Rina," in english.text
