from __future__ import annotations

from app.core.errors import BadRequest


class UnsubscribeTokenInvalid(BadRequest):
    code = "unsubscribe_token_invalid"
