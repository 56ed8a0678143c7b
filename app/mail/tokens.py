"""Signed one-click unsubscribe tokens (RFC 8058): `<member_id>.<kind>.<signature>`.

The signature is an HMAC-SHA256 of the member and kind with a key derived from the secret
key, so a token cannot be forged or moved to another member or kind. It does not expire:
an unsubscribe link in an old mail must still work. Using it twice is harmless.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_PURPOSE = b"sanggar.mail.unsubscribe.v1"


def _key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), _PURPOSE, hashlib.sha256).digest()


def _signature(secret_key: str, member_id: int, kind: str) -> str:
    digest = hmac.new(_key(secret_key), f"{member_id}:{kind}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:20]).decode().rstrip("=")


def unsubscribe_token(secret_key: str, member_id: int, kind: str) -> str:
    return f"{member_id}.{kind}.{_signature(secret_key, member_id, kind)}"


def read_unsubscribe_token(secret_key: str, token: str) -> tuple[int, str] | None:
    """The (member id, kind) the token was signed for, or None when it is not genuine."""
    parts = token.split(".")
    if len(parts) < 3 or len(token) > 200:
        return None
    member_part, signature = parts[0], parts[-1]
    kind = ".".join(parts[1:-1])
    if not member_part.isdigit() or len(member_part) > 18:
        return None
    member_id = int(member_part)
    if not hmac.compare_digest(_signature(secret_key, member_id, kind), signature):
        return None
    return member_id, kind
