"""Where each kind of bridge posts, and which targets are allowed.

Discord, Slack and Telegram targets must be those platforms' own hosts (422 otherwise);
a Matrix homeserver follows the webhook address rules (a public address unless
`SANGGAR_WEBHOOKS_ALLOW_PRIVATE=true`), checked at registration and again before each send.
`SANGGAR_CHAT_BRIDGE_BASE_URLS` points a kind at another base URL: scheme, host and port
replaced, the platform's path kept (tests, self-hosted gateways); such a URL is the
operator's choice and is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from app.chat_bridges.exceptions import ChatBridgeTargetInvalid, ChatBridgeTargetNotAllowed
from app.core.config import Settings
from app.i18n import N_, message
from app.models import ChatBridgeKind

DISCORD_HOSTS = frozenset({"discord.com", "discordapp.com"})
SLACK_HOSTS = frozenset({"hooks.slack.com"})
TELEGRAM_API = "https://api.telegram.org"

# Per kind: the target's fields, and which one is the secret (write-only, encrypted).
FIELDS: dict[ChatBridgeKind, tuple[str, ...]] = {
    ChatBridgeKind.DISCORD: ("webhook_url",),
    ChatBridgeKind.SLACK: ("webhook_url",),
    ChatBridgeKind.TELEGRAM: ("bot_token", "chat_id"),
    ChatBridgeKind.MATRIX: ("homeserver", "room_id", "access_token"),
}
SECRET_FIELD: dict[ChatBridgeKind, str] = {
    ChatBridgeKind.DISCORD: "webhook_url",
    ChatBridgeKind.SLACK: "webhook_url",
    ChatBridgeKind.TELEGRAM: "bot_token",
    ChatBridgeKind.MATRIX: "access_token",
}

_BOT_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,200}")
_CHAT_ID = re.compile(r"-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31}")
_ROOM_ID = re.compile(r"![^\s:/]{1,200}:[A-Za-z0-9.:\[\]-]{1,255}")

# The address check of Matrix homeservers (the webhook rules), registered by
# app/chat_bridges/subscribers.py: it returns why a URL is refused (a message id and its
# values), or None.
Refusal = tuple[str, dict[str, Any]]
AddressCheck = Callable[[str, Settings], Refusal | None]
_address_check: list[AddressCheck] = []


def use_address_check(check: AddressCheck) -> None:
    _address_check[:] = [check]


@dataclass(frozen=True)
class Split:
    """A target as stored: the public part and the secret."""

    public: dict[str, Any]
    secret: str


def split(
    kind: ChatBridgeKind, target: dict[str, Any], settings: Settings, *, check_address: bool = True
) -> Split:
    """Checks a target given for `kind` (422 when incomplete, malformed or not allowed).
    `check_address=False` skips resolving a Matrix homeserver (the demo's placeholders)."""
    expected = FIELDS[kind]
    for name in target:
        if name not in expected:
            raise ChatBridgeTargetInvalid(
                N_("A {kind} target has no `{name}`; it is {fields}."),
                values={"kind": kind.value, "name": name, "fields": _listed(expected)},
                loc=["body", "target", name],
            )
    for name in expected:
        if target.get(name) is None:
            raise ChatBridgeTargetInvalid(
                N_("A {kind} target needs `{name}` ({fields})."),
                values={"kind": kind.value, "name": name, "fields": _listed(expected)},
                loc=["body", "target", name],
            )
    values = {name: str(target[name]) for name in expected}
    if kind in (ChatBridgeKind.DISCORD, ChatBridgeKind.SLACK):
        _check_platform_url(kind, values["webhook_url"])
    elif kind is ChatBridgeKind.TELEGRAM:
        _match(_BOT_TOKEN, values["bot_token"], "bot_token", N_("a bot token such as 123456:ABC-…"))
        _match(_CHAT_ID, values["chat_id"], "chat_id", N_("a chat id (-100123…) or @channelname"))
    else:
        _check_homeserver(values["homeserver"], settings, check_address=check_address)
        _match(_ROOM_ID, values["room_id"], "room_id", N_("a room id such as !abc:example.org"))
        if not values["access_token"]:
            raise ChatBridgeTargetInvalid(N_("`access_token` is empty."), loc=_loc("access_token"))
    secret_field = SECRET_FIELD[kind]
    public = {name: value for name, value in values.items() if name != secret_field}
    if kind is ChatBridgeKind.MATRIX:
        public["homeserver"] = values["homeserver"].rstrip("/")
    return Split(public=public, secret=values[secret_field])


def _listed(names: tuple[str, ...]) -> str:
    return ", ".join(f"`{name}`" for name in names)


def _loc(name: str) -> list[str | int]:
    return ["body", "target", name]


def _match(pattern: re.Pattern[str], value: str, name: str, what: str) -> None:
    if not pattern.fullmatch(value):
        raise ChatBridgeTargetInvalid(
            N_("`{name}` must be {what}."),
            values={"name": name, "what": message(what)},
            loc=_loc(name),
        )


def _check_platform_url(kind: ChatBridgeKind, url: str) -> None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ChatBridgeTargetInvalid(
            N_("`webhook_url` is not a URL: {error}."),
            values={"error": error},
            loc=_loc("webhook_url"),
        ) from error
    hosts = DISCORD_HOSTS if kind is ChatBridgeKind.DISCORD else SLACK_HOSTS
    path_ok = parts.path.startswith("/api/webhooks/") if kind is ChatBridgeKind.DISCORD else True
    host = (parts.hostname or "").lower()
    if (
        parts.scheme != "https"
        or host not in hosts
        or port not in (None, 443)
        or parts.username is not None
        or parts.password is not None
        or not path_ok
        or parts.fragment
    ):
        where = (
            "https://discord.com/api/webhooks/…"
            if kind is ChatBridgeKind.DISCORD
            else "https://hooks.slack.com/…"
        )
        raise ChatBridgeTargetNotAllowed(
            N_(
                "A {kind} bridge posts to {where} only (the platform's own incoming "
                "webhook address)."
            ),
            values={"kind": kind.value, "where": where},
            loc=_loc("webhook_url"),
        )


def _check_homeserver(url: str, settings: Settings, *, check_address: bool) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError as error:
        raise ChatBridgeTargetInvalid(
            N_("`homeserver` is not a URL: {error}."),
            values={"error": error},
            loc=_loc("homeserver"),
        ) from error
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ChatBridgeTargetInvalid(
            N_("`homeserver` must be an http(s) base URL such as https://matrix.example.org."),
            loc=_loc("homeserver"),
        )
    if settings.webhooks_allow_private or not check_address:
        return
    if not _address_check:
        raise RuntimeError("no address check registered (app.chat_bridges.subscribers)")
    refused = _address_check[0](url, settings)
    if refused is not None:
        raise ChatBridgeTargetNotAllowed(refused[0], values=refused[1], loc=_loc("homeserver"))


def rebase(kind: str, url: str, settings: Settings) -> tuple[str, bool]:
    """The URL to call, and whether it was rebased by `chat_bridge_base_urls` (then it is the
    operator's own choice, not checked against the address rules)."""
    base = settings.chat_bridge_base_urls.get(kind)
    if base is None:
        return url, False
    target = urlsplit(base)
    parts = urlsplit(url)
    return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, "")), True


def telegram_url(method: str, *, bot_token: str) -> str:
    return f"{TELEGRAM_API}/bot{bot_token}/{method}"


def matrix_url(homeserver: str, *, room_id: str, txn_id: str) -> str:
    room = quote(room_id, safe="")
    txn = quote(txn_id, safe="")
    return f"{homeserver}/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}"
