"""Each event type as a short message, and each platform's request for it.

`compose` turns a webhook payload (`{type, data}`, app/webhooks/payloads.py) into a
`Message`: a headline, maybe a detail line, a link into the members' app
(`{SANGGAR_APP_URL}/<resource>/<id>`) and maybe a picture. Its texts are templates from
`TEXTS`, one entry per message with both languages side by side (a test fails when one is
missing), so a later move to gettext is mechanical. Members' words fill the templates'
fields and are escaped by each platform's renderer for its markup; an `@` in them is
followed by an invisible word joiner (U+2060), so `@everyone`, `@room` or `@someone` stays
text on every platform (Discord is also sent `allowed_mentions: {parse: []}`, Matrix an
empty `m.mentions`).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.chat_bridges import targets
from app.core.clock import utcnow
from app.core.config import Settings
from app.mail.links import AppRoute, app_path
from app.models import ChatBridgeKind

Locale = str  # "id" | "en"
LOCALES: tuple[Locale, ...] = ("id", "en")

# Every text a bridge posts, per message, in both languages.
TEXTS: dict[str, dict[Locale, str]] = {
    "member.joined": {
        "en": "New member: {name}",
        "id": "Anggota baru: {name}",
    },
    "member.joined.city": {"en": "From {city}.", "id": "Dari {city}."},
    "event.published": {"en": "New event: {title}", "id": "Acara baru: {title}"},
    "event.cancelled": {"en": "Event cancelled: {title}", "id": "Acara dibatalkan: {title}"},
    "event.when": {"en": "{starts} ({timezone})", "id": "{starts} ({timezone})"},
    "event.when_where": {
        "en": "{starts} ({timezone}), {city}",
        "id": "{starts} ({timezone}), {city}",
    },
    "challenge.opened": {
        "en": "Challenge open: {title}",
        "id": "Tantangan dibuka: {title}",
    },
    "challenge.opened.detail": {
        "en": "Theme: {theme}. Works are accepted until {closes}.",
        "id": "Tema: {theme}. Karya diterima hingga {closes}.",
    },
    "challenge.voting_started": {
        "en": "Voting has started: {title}",
        "id": "Pemungutan suara dimulai: {title}",
    },
    "challenge.voting_started.detail": {
        "en": "Votes are counted until {closes}.",
        "id": "Suara dihitung hingga {closes}.",
    },
    "challenge.closed": {
        "en": "Results are out: {title}",
        "id": "Hasil sudah diumumkan: {title}",
    },
    "submission.created": {"en": "New work: {title}", "id": "Karya baru: {title}"},
    "submission.created.detail": {
        "en": "Entered in the challenge {challenge}.",
        "id": "Diikutkan dalam tantangan {challenge}.",
    },
    "submission.showcased": {
        "en": "In the showcase: {title}",
        "id": "Masuk etalase karya: {title}",
    },
    "submission.showcased.winner": {
        "en": "A winning work of the challenge {challenge}.",
        "id": "Karya pemenang tantangan {challenge}.",
    },
    "submission.showcased.featured": {
        "en": "Featured by the organizers in the challenge {challenge}.",
        "id": "Karya pilihan pengurus dalam tantangan {challenge}.",
    },
    "project.created": {
        "en": "New project proposed: {title}",
        "id": "Proyek baru diusulkan: {title}",
    },
    "project.completed": {"en": "Project completed: {title}", "id": "Proyek selesai: {title}"},
    "announcement.published": {"en": "Announcement: {title}", "id": "Pengumuman: {title}"},
    "badge.awarded": {
        "en": "A member earned a badge: {title}",
        "id": "Seorang anggota meraih lencana: {title}",
    },
    "idea.created": {"en": "New idea: {title}", "id": "Ide baru: {title}"},
    "ping": {
        "en": "Test message from Sanggar: this chat is connected.",
        "id": "Pesan uji dari Sanggar: obrolan ini sudah terhubung.",
    },
    "link": {"en": "Open in Sanggar", "id": "Buka di Sanggar"},
}

FIELD_LIMIT = 200  # characters of one member-written field (titles, names)
WORD_JOINER = "\u2060"


@dataclass(frozen=True)
class Text:
    """A template of TEXTS and the values of its fields (members' words, unescaped)."""

    key: str
    values: Mapping[str, str] = field(default_factory=dict)

    def fill(self, locale: Locale, escape: Callable[[str], str]) -> str:
        parts: list[str] = []
        for literal, name, _spec, _conversion in Formatter().parse(TEXTS[self.key][locale]):
            parts.append(escape(literal))
            if name is not None:
                parts.append(escape(_neutral(self.values[name])))
        return "".join(parts)


@dataclass(frozen=True)
class Message:
    headline: Text
    detail: Text | None
    link: str | None  # into the members' app
    image: str | None  # a public picture (a share card), if any


def _neutral(value: str) -> str:
    """A member's words: one line, bounded, and mentioning nobody."""
    value = " ".join(value.split())
    if len(value) > FIELD_LIMIT:
        value = value[: FIELD_LIMIT - 1] + "…"
    return value.replace("@", "@" + WORD_JOINER)


def app_url(settings: Settings) -> str | None:
    base = settings.app_url or settings.public_base_url
    return base.rstrip("/") if base else None


def _when(value: object, timezone: str | None = None) -> str:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        zone = ZoneInfo(timezone) if timezone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    local = moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return local if timezone else f"{local} UTC"


def _card(settings: Settings, submission_id: object) -> str | None:
    """A work's share card, when the API has a public address (Telegram and Discord fetch
    it themselves)."""
    if not settings.public_base_url:
        return None
    return f"{settings.public_base_url.rstrip('/')}/api/v1/submissions/{submission_id}/card.png"


def text(key: str, **values: object) -> Text:
    return Text(key, {name: str(value) for name, value in values.items()})


def compose(event_type: str, data: Mapping[str, Any], settings: Settings) -> Message:
    """The message announcing one webhook payload."""

    def link(route: AppRoute, key: str) -> str | None:
        base = app_url(settings)
        return f"{base}{app_path(route, **{key: data[key]})}" if base else None

    if event_type == "member.joined":
        city = data.get("city")
        detail = text("member.joined.city", city=city) if city else None
        return Message(
            text(event_type, name=data["display_name"]),
            detail,
            link(AppRoute.MEMBER, "member_id"),
            None,
        )
    if event_type in ("event.published", "event.cancelled"):
        starts = _when(data["starts_at"], data.get("timezone"))
        zone = data.get("timezone") or "UTC"
        city = data.get("city")
        detail = (
            text("event.when_where", starts=starts, timezone=zone, city=city)
            if city
            else text("event.when", starts=starts, timezone=zone)
        )
        return Message(
            text(event_type, title=data["title"]), detail, link(AppRoute.EVENT, "event_id"), None
        )
    if event_type == "challenge.opened":
        detail = text(
            "challenge.opened.detail",
            theme=data["theme"],
            closes=_when(data["submissions_close_at"]),
        )
        return Message(
            text(event_type, title=data["title"]),
            detail,
            link(AppRoute.CHALLENGE, "challenge_id"),
            None,
        )
    if event_type == "challenge.voting_started":
        detail = text("challenge.voting_started.detail", closes=_when(data["voting_close_at"]))
        return Message(
            text(event_type, title=data["title"]),
            detail,
            link(AppRoute.CHALLENGE, "challenge_id"),
            None,
        )
    if event_type == "challenge.closed":
        # The winner's share card, when the payload names the winning works.
        winners = data.get("winner_submission_ids") or []
        image = _card(settings, winners[0]) if winners else None
        return Message(
            text(event_type, title=data["title"]),
            None,
            link(AppRoute.CHALLENGE, "challenge_id"),
            image,
        )
    if event_type == "submission.created":
        detail = text("submission.created.detail", challenge=data["challenge_title"])
        return Message(
            text(event_type, title=data["title"]),
            detail,
            link(AppRoute.SUBMISSION, "submission_id"),
            None,
        )
    if event_type == "submission.showcased":
        # A winner is told as one even when also featured.
        why = "winner" if data["winner"] else "featured"
        detail = text(f"submission.showcased.{why}", challenge=data["challenge_title"])
        return Message(
            text(event_type, title=data["title"]),
            detail,
            link(AppRoute.SUBMISSION, "submission_id"),
            _card(settings, data["submission_id"]),
        )
    if event_type in ("project.created", "project.completed"):
        return Message(
            text(event_type, title=data["title"]), None, link(AppRoute.PROJECT, "project_id"), None
        )
    if event_type == "announcement.published":
        return Message(
            text(event_type, title=data["title"]),
            None,
            link(AppRoute.ANNOUNCEMENT, "announcement_id"),
            None,
        )
    if event_type == "badge.awarded":
        return Message(
            text(event_type, title=data["title"]), None, link(AppRoute.MEMBER, "member_id"), None
        )
    if event_type == "idea.created":
        return Message(
            text(event_type, title=data["title"]), None, link(AppRoute.IDEA, "idea_id"), None
        )
    return Message(Text("ping"), None, None, None)


# --- escaping per platform ----------------------------------------------------------------

_DISCORD_SPECIAL = re.compile(r"([\\*_~`|>\[\]()<])")


def discord_escape(value: str) -> str:
    """Discord's markdown: every character that could start markup gets a backslash."""
    return _DISCORD_SPECIAL.sub(r"\\\1", value)


def slack_escape(value: str) -> str:
    """Slack's three control characters (its documented escaping)."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def html_escape(value: str) -> str:
    """Telegram's and Matrix's HTML: &, <, > and quotes."""
    return html.escape(value, quote=True)


def plain(value: str) -> str:
    return value


# --- the platforms' requests --------------------------------------------------------------


@dataclass(frozen=True)
class PlatformRequest:
    method: str
    url: str  # before `chat_bridge_base_urls`
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Bridge:
    """What a renderer needs of a bridge: its kind, language and full target (secret included)."""

    kind: str
    locale: Locale
    target: Mapping[str, str]


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


JSON_HEADERS = {"Content-Type": "application/json"}


def render(bridge: Bridge, message: Message, *, txn_id: str) -> PlatformRequest:
    """The request that posts `message` to `bridge` (`txn_id`: the delivery's public id)."""
    kind = ChatBridgeKind(bridge.kind)
    locale = bridge.locale
    if kind is ChatBridgeKind.DISCORD:
        return _discord(bridge, message, locale)
    if kind is ChatBridgeKind.SLACK:
        return _slack(bridge, message, locale)
    if kind is ChatBridgeKind.TELEGRAM:
        return _telegram(bridge, message, locale)
    return _matrix(bridge, message, locale, txn_id=txn_id)


def _discord(bridge: Bridge, message: Message, locale: Locale) -> PlatformRequest:
    headline = message.headline.fill(locale, discord_escape)
    embed: dict[str, Any] = {"title": headline}
    if message.link:
        embed["url"] = message.link
    embed["description"] = message.detail.fill(locale, discord_escape) if message.detail else ""
    if message.image:
        embed["image"] = {"url": message.image}
    body = {"content": headline, "embeds": [embed], "allowed_mentions": {"parse": []}}
    return PlatformRequest("POST", bridge.target["webhook_url"], JSON_HEADERS, _json(body))


def _slack(bridge: Bridge, message: Message, locale: Locale) -> PlatformRequest:
    headline = message.headline.fill(locale, slack_escape)
    lines = [f"*{headline}*"]
    if message.detail:
        lines.append(message.detail.fill(locale, slack_escape))
    if message.link:
        label = Text("link").fill(locale, slack_escape)
        lines.append(f"<{message.link}|{label}>")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}]
    body = {"text": headline, "blocks": blocks}
    return PlatformRequest("POST", bridge.target["webhook_url"], JSON_HEADERS, _json(body))


def _html(message: Message, locale: Locale, *, newline: str) -> str:
    lines = [f"<b>{message.headline.fill(locale, html_escape)}</b>"]
    if message.detail:
        lines.append(message.detail.fill(locale, html_escape))
    if message.link:
        label = Text("link").fill(locale, html_escape)
        lines.append(f'<a href="{html_escape(message.link)}">{label}</a>')
    return newline.join(lines)


def _plain(message: Message, locale: Locale) -> str:
    lines = [message.headline.fill(locale, plain)]
    if message.detail:
        lines.append(message.detail.fill(locale, plain))
    if message.link:
        lines.append(message.link)
    return "\n".join(lines)


def _chat_id(value: str) -> int | str:
    return int(value) if re.fullmatch(r"-?[0-9]+", value) else value


def _telegram(bridge: Bridge, message: Message, locale: Locale) -> PlatformRequest:
    text = _html(message, locale, newline="\n")
    chat_id = _chat_id(bridge.target["chat_id"])
    token = bridge.target["bot_token"]
    if message.image:
        body: dict[str, Any] = {
            "chat_id": chat_id,
            "photo": message.image,
            "caption": text,
            "parse_mode": "HTML",
        }
        url = targets.telegram_url("sendPhoto", bot_token=token)
    else:
        body = {"chat_id": chat_id, "text": text, "parse_mode": "HTML"}
        url = targets.telegram_url("sendMessage", bot_token=token)
    return PlatformRequest("POST", url, JSON_HEADERS, _json(body))


def _matrix(bridge: Bridge, message: Message, locale: Locale, *, txn_id: str) -> PlatformRequest:
    body = {
        "msgtype": "m.text",
        "body": _plain(message, locale),
        "format": "org.matrix.custom.html",
        "formatted_body": _html(message, locale, newline="<br>"),
        # Intentional mentions (Matrix 1.7): an empty set, so no push rule sees `@room` in
        # the body and nobody is pinged.
        "m.mentions": {},
    }
    url = targets.matrix_url(
        bridge.target["homeserver"], room_id=bridge.target["room_id"], txn_id=txn_id
    )
    headers = {**JSON_HEADERS, "Authorization": f"Bearer {bridge.target['access_token']}"}
    return PlatformRequest("PUT", url, headers, _json(body))


# --- what a platform's 429 asks -------------------------------------------------------------


def retry_after(status_code: int | None, response_body: str, header: str | None) -> float | None:
    """Seconds a platform asked us to wait (429): Discord's JSON `retry_after`, Telegram's
    `parameters.retry_after`, Matrix's `retry_after_ms`, else the `Retry-After` header."""
    if status_code != 429:
        return None
    waits: list[float] = []
    try:
        answer = json.loads(response_body)
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        parameters = answer.get("parameters")
        candidates = [
            answer.get("retry_after"),
            parameters.get("retry_after") if isinstance(parameters, dict) else None,
        ]
        waits += [float(c) for c in candidates if isinstance(c, int | float)]
        if isinstance(answer.get("retry_after_ms"), int | float):
            waits.append(float(answer["retry_after_ms"]) / 1000)
    if header:
        waits += _header_seconds(header)
    waits = [w for w in waits if 0 <= w < 7 * 86_400]
    return max(waits) if waits else None


def _header_seconds(header: str) -> list[float]:
    try:
        return [float(header.strip())]
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return []
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return [max(0.0, (moment - utcnow()).total_seconds())]
