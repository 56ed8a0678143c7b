"""Each event type as a message in both languages, escaped for each platform's markup."""

from __future__ import annotations

import json
from string import Formatter
from typing import Any, get_args

import pytest

from app.chat_bridges import renderers
from app.chat_bridges.renderers import TEXTS, Bridge, compose, render
from app.chat_bridges.schemas import ChatBridgeEventType
from app.core.config import Settings
from app.webhooks.payloads import EVENT_TYPES, PAYLOADS
from tests.chat_bridges.conftest import TARGETS
from tests.conftest import make_settings

NASTY = "<b>@everyone</b> & *bold* _x_ [link](https://evil.example) `code` <@123> @room"


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"app_url": "https://komunitas.example", **overrides}
    return make_settings("sqlite://", **values)


def example(event_type: str) -> dict[str, Any]:
    schema = PAYLOADS[event_type].model.model_config.get("json_schema_extra")
    assert isinstance(schema, dict)
    data: dict[str, Any] = dict(schema["examples"][0])  # type: ignore[index, arg-type]
    return data


def full_target(kind: str) -> dict[str, str]:
    return TARGETS[kind]


def test_every_text_exists_in_both_languages() -> None:
    for key, texts in TEXTS.items():
        assert set(texts) == set(renderers.LOCALES), f"{key} is not in both languages"
        assert all(text.strip() for text in texts.values()), key
        fields = [{name for _, name, _, _ in Formatter().parse(t) if name} for t in texts.values()]
        assert fields[0] == fields[1], f"{key}: both languages must use the same fields"


def test_the_event_types_are_the_webhooks() -> None:
    assert set(get_args(ChatBridgeEventType.__value__)) == set(EVENT_TYPES)


LINKS = {
    "member.joined": "/members/31",
    "event.published": "/events/12",
    "event.cancelled": "/events/12",
    "challenge.opened": "/challenges/8",
    "challenge.voting_started": "/challenges/8",
    "challenge.closed": "/challenges/8",
    "submission.created": "/submissions/77",
    "submission.showcased": "/submissions/141",
    "project.created": "/projects/5",
    "project.completed": "/projects/5",
    "announcement.published": "/announcements/3",
    "badge.awarded": "/members/31",
    "idea.created": "/ideas/19",
}


@pytest.mark.parametrize("event_type", EVENT_TYPES)
@pytest.mark.parametrize("locale", ["id", "en"])
def test_every_event_type_has_a_message_with_a_link(event_type: str, locale: str) -> None:
    message = compose(event_type, example(event_type), settings())
    assert message.link == "https://komunitas.example" + LINKS[event_type]
    headline = message.headline.fill(locale, renderers.plain)
    assert headline and headline == TEXTS[event_type][locale].format(**message.headline.values)
    for kind in TARGETS:
        request = render(Bridge(kind, locale, full_target(kind)), message, txn_id="t1")
        assert message.link in request.body.decode()


def test_the_languages_differ() -> None:
    data = example("challenge.opened")
    message = compose("challenge.opened", data, settings())
    assert message.headline.fill("en", renderers.plain) == "Challenge open: Weekly photo: rain"
    assert message.headline.fill("id", renderers.plain) == "Tantangan dibuka: Weekly photo: rain"
    assert message.detail is not None
    assert message.detail.fill("id", renderers.plain) == (
        "Tema: Rain in the city. Karya diterima hingga 2026-12-08 00:00 UTC."
    )


def test_event_times_are_shown_in_the_events_zone() -> None:
    message = compose("event.published", example("event.published"), settings())
    assert message.detail is not None
    assert message.detail.fill("en", renderers.plain) == "2026-12-12 18:00 (Asia/Jakarta), Bandung"


def test_without_app_url_the_public_base_url_is_used_and_without_both_no_link() -> None:
    data = example("idea.created")
    fallback = compose(
        "idea.created", data, settings(app_url=None, public_base_url="https://x.example/")
    )
    assert fallback.link == "https://x.example/ideas/19"
    none = compose("idea.created", data, settings(app_url=None, public_base_url=None))
    assert none.link is None
    body = render(Bridge("discord", "en", full_target("discord")), none, txn_id="t").json()
    assert "url" not in body["embeds"][0]


def nasty_message() -> renderers.Message:
    data = {**example("submission.created"), "title": NASTY, "challenge_title": "A & B"}
    return compose("submission.created", data, settings())


def test_discord_escapes_markdown_and_mentions_nobody() -> None:
    request = render(Bridge("discord", "en", full_target("discord")), nasty_message(), txn_id="t")
    body = request.json()
    assert set(body) == {"content", "embeds", "allowed_mentions"}
    assert body["allowed_mentions"] == {"parse": []}
    content = body["content"]
    assert "@everyone" not in content and "@\u2060everyone" in content
    assert "<@123>" not in content and "\\<@\u2060123\\>" in content
    assert "\\*bold\\*" in content and "\\_x\\_" in content and "\\`code\\`" in content
    assert "\\[link\\]\\(https" in content
    [embed] = body["embeds"]
    assert embed["title"] == content
    assert embed["url"] == "https://komunitas.example/submissions/77"
    assert embed["description"] == "Entered in the challenge A & B."
    assert "image" not in embed


def test_slack_escapes_its_three_characters() -> None:
    request = render(Bridge("slack", "en", full_target("slack")), nasty_message(), txn_id="t")
    body = request.json()
    assert set(body) == {"text", "blocks"}
    text = body["text"]
    assert "<b>" not in text and "&lt;b&gt;@\u2060everyone&lt;/b&gt; &amp; " in text
    assert "<@123>" not in text and "<!everyone>" not in text
    [block] = body["blocks"]
    assert block["type"] == "section" and block["text"]["type"] == "mrkdwn"
    assert block["text"]["text"].endswith(
        "\nEntered in the challenge A &amp; B.\n"
        "<https://komunitas.example/submissions/77|Open in Sanggar>"
    )


@pytest.mark.parametrize("kind", ["telegram", "matrix"])
def test_html_platforms_escape_html(kind: str) -> None:
    request = render(Bridge(kind, "en", full_target(kind)), nasty_message(), txn_id="t")
    body = request.json()
    html = body["text"] if kind == "telegram" else body["formatted_body"]
    assert html == (
        "<b>New work: &lt;b&gt;@\u2060everyone&lt;/b&gt; &amp; *bold* _x_ "
        "[link](https://evil.example) `code` &lt;@\u2060123&gt; @\u2060room</b>"
        + ("\n" if kind == "telegram" else "<br>")
        + "Entered in the challenge A &amp; B."
        + ("\n" if kind == "telegram" else "<br>")
        + '<a href="https://komunitas.example/submissions/77">Open in Sanggar</a>'
    )
    if kind == "matrix":
        assert body["body"].startswith("New work: <b>@\u2060everyone</b> &")
        assert body["m.mentions"] == {}
        assert "@room" not in json.dumps(body, ensure_ascii=False)


def test_a_long_title_is_cut() -> None:
    data = {**example("idea.created"), "title": "x" * 5000}
    message = compose("idea.created", data, settings())
    assert len(message.headline.fill("en", renderers.plain)) < 250


def test_telegram_sends_the_winners_share_card_when_there_is_a_public_url() -> None:
    data = {**example("challenge.closed"), "winner_submission_ids": [77, 78]}
    with_card = compose("challenge.closed", data, settings(public_base_url="https://api.example"))
    assert with_card.image == "https://api.example/api/v1/submissions/77/card.png"
    request = render(Bridge("telegram", "id", full_target("telegram")), with_card, txn_id="t")
    assert request.url.endswith("/sendPhoto")
    body = request.json()
    assert body["photo"] == with_card.image and body["parse_mode"] == "HTML"
    assert body["caption"].startswith("<b>Hasil sudah diumumkan: Weekly photo: rain</b>")
    discord = render(Bridge("discord", "id", full_target("discord")), with_card, txn_id="t")
    assert discord.json()["embeds"][0]["image"] == {"url": with_card.image}

    no_public_url = compose("challenge.closed", data, settings(public_base_url=None))
    assert no_public_url.image is None
    request = render(Bridge("telegram", "id", full_target("telegram")), no_public_url, txn_id="t")
    assert request.url.endswith("/sendMessage")


@pytest.mark.parametrize(
    ("winner", "featured", "en", "id_"),
    [
        (True, False, "A winning work of the challenge", "Karya pemenang tantangan"),
        (True, True, "A winning work of the challenge", "Karya pemenang tantangan"),
        (
            False,
            True,
            "Featured by the organizers in the challenge",
            "Karya pilihan pengurus dalam tantangan",
        ),
    ],
)
def test_a_showcased_work_says_why_and_shows_its_share_card(
    winner: bool, featured: bool, en: str, id_: str
) -> None:
    data = {**example("submission.showcased"), "winner": winner, "featured": featured}
    message = compose("submission.showcased", data, settings(public_base_url="https://api.example"))
    assert message.detail is not None
    assert message.detail.fill("en", renderers.plain) == f"{en} Weekly photo: rain."
    assert message.detail.fill("id", renderers.plain) == f"{id_} Weekly photo: rain."
    assert message.image == "https://api.example/api/v1/submissions/141/card.png"
    request = render(Bridge("telegram", "en", full_target("telegram")), message, txn_id="t")
    assert request.url.endswith("/sendPhoto") and request.json()["photo"] == message.image
    slack = render(Bridge("slack", "en", full_target("slack")), message, txn_id="t").json()
    assert message.image not in json.dumps(slack)  # Slack gets the text and the link
    without = compose("submission.showcased", data, settings(public_base_url=None))
    assert without.image is None


@pytest.mark.parametrize(
    ("status", "body", "header", "expected"),
    [
        (429, '{"message": "You are being rate limited.", "retry_after": 64.57}', None, 64.57),
        (429, '{"ok":false,"error_code":429,"parameters":{"retry_after":33}}', None, 33.0),
        (429, '{"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":2500}', None, 2.5),
        (429, "rate limited", "120", 120.0),
        (429, "rate limited", "Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        (429, "nothing said", None, None),
        (500, '{"retry_after": 5}', "5", None),
    ],
)
def test_a_platforms_429_is_read(
    status: int, body: str, header: str | None, expected: float | None
) -> None:
    assert renderers.retry_after(status, body, header) == expected
