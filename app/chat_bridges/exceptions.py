from __future__ import annotations

from app.core.errors import Conflict, NotFound, Unprocessable


class ChatBridgeNotFound(NotFound):
    code = "chat_bridge_not_found"


class ChatBridgeTargetInvalid(Unprocessable):
    code = "chat_bridge_target_invalid"


class ChatBridgeTargetNotAllowed(Unprocessable):
    code = "chat_bridge_target_not_allowed"


class ChatBridgeInactive(Conflict):
    code = "chat_bridge_inactive"
