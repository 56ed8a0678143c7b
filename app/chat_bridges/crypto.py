"""A bridge's secret (webhook URL, bot token, access token), encrypted at rest.

Fernet (AES-128-CBC with an HMAC-SHA256, from `cryptography`) under a key derived with
HKDF-SHA256 from `SANGGAR_SECRET_KEY`: a database dump alone does not reveal the secrets.
Changing the secret key makes them unreadable: deliveries then fail with an error saying
so, and the admins enter each bridge's target again.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import TYPE_CHECKING

from app.core.config import Settings

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

_INFO = b"sanggar chat bridge secrets v1"


class SecretUnreadable(Exception):
    """The ciphertext was made with another secret key (or altered)."""


# `cryptography` (Rust bindings and OpenSSL, ~10 MiB resident) is imported at the first
# secret, not with the app: most workers never handle one.
@lru_cache(maxsize=4)
def _fernet(signing_key: str) -> Fernet:
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        signing_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(settings: Settings, secret: str) -> bytes:
    return _fernet(settings.signing_key()).encrypt(secret.encode())


def decrypt(settings: Settings, ciphertext: bytes) -> str:
    from cryptography.fernet import InvalidToken

    try:
        return _fernet(settings.signing_key()).decrypt(ciphertext).decode()
    except InvalidToken as error:
        raise SecretUnreadable(
            "The bridge's secret cannot be decrypted: SANGGAR_SECRET_KEY changed since it "
            "was stored. Enter the bridge's target again."
        ) from error


def hint(secret: str) -> str:
    """`…Xk3f`: the last four characters, enough to tell two secrets apart."""
    return "…" + secret[-4:]
