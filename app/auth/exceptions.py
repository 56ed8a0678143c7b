from __future__ import annotations

from app.core.errors import Forbidden, Unauthorized


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"


class InvalidRefreshToken(Unauthorized):
    code = "invalid_refresh_token"


class RefreshTokenReused(Unauthorized):
    """A rotated refresh token came back: someone holds a copy, so the chain is revoked."""

    code = "refresh_token_reused"
    persist_changes = True  # the revocation must be committed although the request fails


class InvitationRequired(Forbidden):
    code = "invitation_required"
