from __future__ import annotations

from app.core.errors import Forbidden


class InsufficientScope(Forbidden):
    code = "insufficient_scope"


class RoleRequired(Forbidden):
    code = "role_required"
