from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound


class WrongPassword(Forbidden):
    code = "wrong_password"


class LogInNotFound(NotFound):
    code = "session_not_found"


class InvalidToken(NotFound):
    """A mailed token that is unknown, used or expired (which of them is not told): a link
    that leads nowhere, so 404 like every unknown link."""

    code = "invalid_token"


class EmailAlreadyVerified(Conflict):
    code = "email_already_verified"


class EmailTaken(Conflict):
    code = "email_taken"


class MemberNotFound(NotFound):
    code = "member_not_found"


class LastAdmin(Conflict):
    code = "last_admin"
