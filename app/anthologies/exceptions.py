from __future__ import annotations

from app.core.errors import NotFound


class AnthologyNotFound(NotFound):
    code = "anthology_not_found"


class ShareCardNotFound(NotFound):
    """Only winning or featured works of closed challenges have a share card."""

    code = "share_card_not_found"
