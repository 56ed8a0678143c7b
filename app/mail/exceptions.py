from __future__ import annotations

from app.core.errors import NotFound


class UnsubscribeTokenInvalid(NotFound):
    code = "unsubscribe_token_invalid"
