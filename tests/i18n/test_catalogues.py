"""Every text exists in both languages: the messages extracted from the code and the mail
templates (babel.cfg, with Babel's own extraction) are each in every catalogue, translated,
neither fuzzy nor obsolete, and with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from app.core.problem_catalogue import CATALOGUE
from app.i18n import CATALOGUES, DOMAIN, LOCALES, _from_po, gettext, translations

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)s")


def extracted() -> Catalog:
    """What `make messages` would extract into the template (POT), in memory."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    template = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        template.add(
            message, locations=[(filename, lineno)], auto_comments=comments, context=context
        )
    return template


@pytest.fixture(scope="module")
def template() -> Catalog:
    return extracted()


def catalogue(locale: str) -> Catalog:
    with (CATALOGUES / locale / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        return read_po(po, locale=locale)


def test_the_extraction_finds_the_texts_of_every_kind(template: Catalog) -> None:
    ids = {message.id for message in template if message.id}
    assert "Member not found" in ids  # a problem title (app/core/problem_catalogue.py)
    assert "Cancelled: {event}" in ids  # a notification (app/events/subscribers.py)
    assert "Reset your Sanggar password" in ids  # a mail ({% trans %} in a template)
    assert "Upcoming events" in ids  # a mail (_() in a template)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated_in_every_language(template: Catalog, locale: str) -> None:
    translated = catalogue(locale)
    problems = []
    for message in template:
        if not isinstance(message.id, str) or not message.id:
            continue  # the header, or a plural (none are used)
        found = translated.get(message.id, context=message.context)
        if found is None:
            problems.append(f"missing: {message.id!r}")
        elif not found.string:
            problems.append(f"untranslated: {message.id!r}")
        elif found.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif sorted(PLACEHOLDER.findall(str(found.string))) != sorted(
            PLACEHOLDER.findall(message.id)
        ):
            problems.append(f"placeholders differ: {message.id!r} -> {found.string!r}")
    assert not problems, f"{locale} catalogue ({len(problems)}): run `make messages`\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_no_catalogue_keeps_a_message_the_code_no_longer_has(
    template: Catalog, locale: str
) -> None:
    translated = catalogue(locale)
    wanted = {(message.id, message.context) for message in template if message.id}
    stale = [m.id for m in translated if m.id and (m.id, m.context) not in wanted]
    assert not stale, f"obsolete in {locale}: {stale}"
    assert not translated.obsolete, (
        f"obsolete entries kept in {locale}: {list(translated.obsolete)}"
    )


def test_the_indonesian_catalogue_is_indonesian(template: Catalog) -> None:
    """Not the English copied over: most messages read differently (a few words, such as
    "Webhook" titles' nouns, may stay as they are)."""
    ids = [message.id for message in template if isinstance(message.id, str) and message.id]
    same = [m for m in ids if gettext("id", m) == m]
    assert len(same) <= len(ids) // 50, same


def test_every_problem_code_has_its_own_title_in_each_language() -> None:
    for locale in LOCALES:
        titles = [translations(locale).gettext(problem.title) for problem in CATALOGUE.values()]
        repeated = {title for title in titles if titles.count(title) > 1}
        assert not repeated, f"{locale}: two codes share a title: {repeated}"
    untranslated = [
        code for code, problem in CATALOGUE.items() if gettext("id", problem.title) == problem.title
    ]
    assert not untranslated, f"titles read the same in Indonesian and English: {untranslated}"
    assert all(gettext("en", problem.title) == problem.title for problem in CATALOGUE.values())


def test_a_checkout_without_compiled_catalogues_still_reads_them() -> None:
    """The `.po` is read (with a warning) when the install has not compiled the `.mo`."""
    fallback = _from_po(CATALOGUES / "id" / "LC_MESSAGES" / f"{DOMAIN}.po")
    assert fallback.gettext("Member not found") == "Anggota tidak ditemukan"
    assert fallback.gettext("Member not found") == translations("id").gettext("Member not found")
