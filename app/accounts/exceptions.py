from __future__ import annotations

from app.core.errors import Forbidden, NotFound


class WrongPassword(Forbidden):
    code = "wrong_password"


class LogInNotFound(NotFound):
    code = "session_not_found"
