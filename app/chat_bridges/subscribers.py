"""Chat bridges on the webhook machinery: the transport the dispatcher uses for a bridge's
delivery, the address rules for Matrix homeservers, and the admins told when a bridge is
switched off.

The deliveries themselves are written by the webhook subscriber (one event row shared by
webhooks and bridges); this module plugs in what only bridges know: how a payload becomes a
platform's request (app/chat_bridges/renderers.py) and how a platform's 429 is read.
"""

from __future__ import annotations

import dataclasses

from sqlmodel import Session

from app.chat_bridges import crypto, renderers, targets
from app.core.config import Settings
from app.core.domain_events import ChatBridgeDisabled, subscribe
from app.i18n import N_
from app.models import ChatBridge, ChatBridgeKind, Role
from app.notifications import service as notifications
from app.webhooks import dispatcher, safety, sender

USER_AGENT = "Sanggar-ChatBridges/1"


def send(claimed: dispatcher.Claimed, settings: Settings) -> sender.Outcome:
    """Renders the claimed delivery for its bridge and sends it (in a worker thread)."""
    bridge = claimed.bridge
    assert bridge is not None
    try:
        secret = crypto.decrypt(settings, bridge.secret_ciphertext)
    except crypto.SecretUnreadable as error:
        return sender.Outcome(None, 0, str(error), "")
    kind = ChatBridgeKind(bridge.kind)
    full_target = {**bridge.target, targets.SECRET_FIELD[kind]: secret}
    message = renderers.compose(claimed.event_type, claimed.data, settings)
    request = renderers.render(
        renderers.Bridge(bridge.kind, bridge.locale, full_target),
        message,
        txn_id=claimed.delivery_public_id,
    )
    url, rebased = targets.rebase(bridge.kind, request.url, settings)
    outcome = sender.send(
        url,
        body=request.body,
        headers={**request.headers, "User-Agent": USER_AGENT},
        settings=settings,
        method=request.method,
        check_address=not rebased,
    )
    wait = renderers.retry_after(
        outcome.status_code, outcome.response_body, outcome.retry_after_header
    )
    return dataclasses.replace(outcome, retry_after=wait) if wait is not None else outcome


def refused_address(url: str, _settings: Settings) -> targets.Refusal | None:
    try:
        safety.public_target(url)
    except safety.UnsafeUrl as error:
        return error.message, error.values
    return None


dispatcher.use_bridge_transport(send)
targets.use_address_check(refused_address)


@subscribe(ChatBridgeDisabled)
def notify_admins_of_disabled_bridge(session: Session, event: ChatBridgeDisabled) -> None:
    """Every admin hears that the community's chat stopped receiving messages, and why."""
    bridge = session.get(ChatBridge, event.chat_bridge_id)
    name = bridge.name if bridge is not None else f"chat bridge {event.chat_bridge_id}"
    notifications.notify_role(
        session,
        roles=[Role.ADMIN],
        type="chat_bridge.disabled",
        title=N_("A chat bridge was switched off: it keeps failing"),
        body=N_("{bridge}: {reason} Check its target, then set it active again."),
        values={"bridge": name, "reason": event.reason},
        chat_bridge_id=event.chat_bridge_id,
    )
