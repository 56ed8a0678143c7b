from __future__ import annotations

from app.core.errors import Forbidden, Unauthorized
from app.i18n import N_


class InsufficientScope(Forbidden):
    code = "insufficient_scope"


class RoleRequired(Forbidden):
    code = "role_required"


class EmailUnverified(Forbidden):
    """`SANGGAR_EMAIL_VERIFICATION=on` and the member has not confirmed their address yet."""

    code = "email_unverified"


class TokenExpired(Unauthorized):
    """An access token of ours past its expiry: refresh it (a forged one stays `unauthorized`)."""

    code = "token_expired"

    def __init__(self) -> None:
        super().__init__(
            N_(
                "The access token has expired; exchange the refresh token at "
                "POST /api/v1/auth/refresh for a new one."
            )
        )
        # RFC 6750 §3: the description tells a client to refresh rather than log out.
        self.headers["WWW-Authenticate"] = (
            'Bearer error="invalid_token", error_description="The access token expired"'
        )
