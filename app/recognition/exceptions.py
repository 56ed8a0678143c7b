from __future__ import annotations

from app.core.errors import NotFound


class BadgeNotFound(NotFound):
    code = "badge_not_found"
