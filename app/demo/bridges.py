"""One inactive chat bridge of each kind, so organizers see the shape of each target.

Their targets are placeholders (nothing answers there); an admin replaces the target with
the community's own and sets `active: true`.
"""

from __future__ import annotations

from sqlmodel import Session, select

from app.chat_bridges import service as chat_bridges
from app.chat_bridges.schemas import ChatBridgeCreate
from app.core.config import Settings
from app.models import Member

EXAMPLES = (
    (
        "discord",
        "Discord: #pengumuman",
        {"webhook_url": "https://discord.com/api/webhooks/0000000000/replace-me-with-yours"},
    ),
    (
        "telegram",
        "Telegram: grup komunitas",
        {"bot_token": "000000000:replace-me-with-your-bot-token", "chat_id": "-1000000000000"},
    ),
    (
        "slack",
        "Slack: #general",
        {"webhook_url": "https://hooks.slack.com/services/T000/B000/replace-me"},
    ),
    (
        "matrix",
        "Matrix: #sanggar:example.org",
        {
            "homeserver": "https://matrix.example.org",
            "room_id": "!replace-me:example.org",
            "access_token": "replace-me-with-an-access-token",
        },
    ),
)
EVENTS = ["challenge.opened", "challenge.closed", "event.published", "announcement.published"]


def seed_bridges(session: Session, settings: Settings) -> None:
    admin = session.exec(select(Member).where(Member.handle == "demo_admin")).one()
    for kind, name, target in EXAMPLES:
        data = ChatBridgeCreate.model_validate(
            {
                "kind": kind,
                "name": name,
                "target": target,
                "events": EVENTS,
                "locale": "id",
                "active": False,
            }
        )
        chat_bridges.create_bridge(session, settings, creator=admin, data=data, check_address=False)
