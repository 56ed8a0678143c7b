"""Every link a mail carries into the members' app is one of the app's pages in
app/mail/links.py, and that table is the one frontend developers read in the quickstart."""

from __future__ import annotations

import re

import pytest

from app.core.migrations import PROJECT_ROOT
from app.i18n import LOCALES
from app.mail import render
from app.mail.links import APP_ROUTES, AppRoute, app_path
from tests.mail.test_templates import CONTEXTS

APP = "https://app.example"
GUIDE = PROJECT_ROOT / "docs" / "frontend-quickstart.md"
SECTION = "## 11. Pages the API links to"


def _route_pattern(template: str) -> re.Pattern[str]:
    """A path template as a pattern: each `{name}` is one percent-encoded value."""
    parts = re.split(r"\{[a-z_]+\}", template)
    return re.compile("^" + "[A-Za-z0-9_.~%-]+".join(map(re.escape, parts)) + "$")


PATTERNS = [_route_pattern(template) for template, _ in APP_ROUTES.values()]


def _app_links(text: str) -> list[str]:
    return list(re.findall(re.escape(APP) + r"""([^\s"'<>)]*)""", text))


@pytest.mark.parametrize("name", sorted(CONTEXTS))
@pytest.mark.parametrize("locale", LOCALES)
def test_every_link_into_the_app_is_a_page_of_the_table(name: str, locale: str) -> None:
    context = {
        "display_name": "Rina",
        "handle": "rina",
        "app_url": APP,
        "unsubscribe_url": None,
        **CONTEXTS[name],
    }
    rendered = render.render(name, locale, context)
    for part in (rendered.text, rendered.html):
        links = [link.replace("&amp;", "&") for link in _app_links(part)]
        unknown = [link for link in links if not any(p.match(link) for p in PATTERNS)]
        assert not unknown, f"{name}.{locale}: links to no page of APP_ROUTES: {unknown}"


def test_a_mailed_token_opens_its_page() -> None:
    context = {"display_name": "Rina", "handle": "rina", "app_url": APP, "unsubscribe_url": None}
    for name, page in (("password_reset", "reset_password"), ("email_change", "verify_email")):
        rendered = render.render(name, "en", {**context, **CONTEXTS[name]})
        expected = app_path(page, token="tok-123")
        assert _app_links(rendered.text) == [expected]
        assert _app_links(rendered.html) == [expected]


def test_the_digest_links_its_news_through_the_table() -> None:
    # The digest's context keeps paths; they must be pages of the table too.
    for section in ("challenges", "events", "works", "threads"):
        for item in CONTEXTS["digest"][section]:
            assert any(p.match(item["path"]) for p in PATTERNS), item


def test_a_path_is_filled_in_percent_encoded() -> None:
    assert app_path(AppRoute.EVENT, event_id=7) == "/events/7"
    assert app_path("reset_password", token="a/b?c&d") == "/reset-password?token=a%2Fb%3Fc%26d"
    with pytest.raises(KeyError):
        app_path(AppRoute.CHALLENGE)
    with pytest.raises(ValueError):
        app_path("no_such_page")


def test_the_quickstart_publishes_the_table_as_it_is() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    assert SECTION in text, f"docs/frontend-quickstart.md has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| `([^`]+)` \| (.+) \|$", section, flags=re.M)
    published = {name: (path, what) for name, path, what in rows}
    expected = {route.value: page for route, page in APP_ROUTES.items()}
    assert published == expected
