from __future__ import annotations

from app.core.errors import Conflict, NotFound


class HandleTaken(Conflict):
    code = "handle_taken"


class EmailTaken(Conflict):
    code = "email_taken"


class MemberNotFound(NotFound):
    code = "member_not_found"


class LastAdmin(Conflict):
    code = "last_admin"


class TokenNotFound(NotFound):
    code = "token_not_found"
