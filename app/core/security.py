"""Passwords, access tokens and opaque secrets."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.config import Settings
from app.core.types import LATEST_YEAR, MAX_INT

JWT_ALGORITHM = "HS256"
JWT_AUDIENCE = "sanggar"
PAT_PREFIX = "sgr_pat_"
FEED_PREFIX = "sgr_feed_"


@lru_cache(maxsize=4)
def _password_hash(memory_kib: int, time_cost: int) -> PasswordHash:
    return PasswordHash((Argon2Hasher(memory_cost=memory_kib, time_cost=time_cost),))


def password_hasher(settings: Settings) -> PasswordHash:
    return _password_hash(settings.password_hash_memory_kib, settings.password_hash_time_cost)


def hash_password(settings: Settings, password: str) -> str:
    return password_hasher(settings).hash(password)


def verify_password(
    settings: Settings, password: str, password_hash: str
) -> tuple[bool, str | None]:
    """Returns (valid, new_hash): new_hash is set when the stored hash used older parameters."""
    return password_hasher(settings).verify_and_update(password, password_hash)


@lru_cache(maxsize=4)
def dummy_hash(memory_kib: int, time_cost: int) -> str:
    """A hash to verify against when no member matches, so timing does not reveal who exists."""
    return _password_hash(memory_kib, time_cost).hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class AccessClaims:
    member_id: int
    session_id: int
    expires_at: datetime


def create_access_token(
    settings: Settings, *, member_id: int, session_id: int, now: datetime
) -> str:
    claims = {
        "sub": str(member_id),
        "sid": session_id,
        "aud": JWT_AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=settings.access_token_minutes)).timestamp()),
    }
    return jwt.encode(claims, settings.signing_key(), algorithm=JWT_ALGORITHM)


def _signed_claims(settings: Settings, token: str, *, verify_exp: bool = True) -> dict[str, Any]:
    """The claims of a complete token signed by us; `jwt.PyJWTError` for any other."""
    claims: dict[str, Any] = jwt.decode(
        token,
        settings.signing_key(),
        algorithms=[JWT_ALGORITHM],  # pinned: "none" and key-confusion attacks fail here
        audience=JWT_AUDIENCE,
        options={"require": ["exp", "iat", "sub", "sid", "aud"], "verify_exp": verify_exp},
    )
    return claims


def decode_access_token(settings: Settings, token: str) -> AccessClaims | None:
    """The token's claims, or None for anything not signed by us, expired, or incomplete."""
    try:
        claims = _signed_claims(settings, token)
        return AccessClaims(
            member_id=_claimed_id(claims["sub"], as_text=True),
            session_id=_claimed_id(claims["sid"], as_text=False),
            expires_at=_claimed_expiry(claims["exp"]),
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


def access_token_expired(settings: Settings, token: str) -> bool:
    """Whether a refused token is one of ours, signed and complete, whose only fault is its
    expiry: the client should refresh it, not log out (a forged one never "expired")."""
    try:
        expiry = _signed_claims(settings, token, verify_exp=False)["exp"]
    except jwt.PyJWTError:
        return False
    return type(expiry) is int and expiry <= int(time.time())


# A correctly signed token may still carry values no token of ours has (a leaked key, a
# bug, another service sharing the key): each claim is taken only in the form and range we
# issue it, so an id past the id columns or an expiry past what a datetime holds is a 401,
# never an overflow in a query or a conversion (a 500).
_LATEST_EXPIRY = int(datetime(LATEST_YEAR + 1, 1, 1, tzinfo=UTC).timestamp())


def _claimed_id(value: object, *, as_text: bool) -> int:
    """`sub` is the member id as decimal text, `sid` the session id as a JSON integer."""
    if as_text:
        if not isinstance(value, str) or not value.isascii() or not value.isdigit():
            raise ValueError("the id is not decimal text")
        if len(value) > len(str(MAX_INT)):
            raise ValueError("the id is out of range")
        value = int(value)
    if type(value) is not int or not 1 <= value <= MAX_INT:
        raise ValueError("the id is not an integer in range")
    return value


def _claimed_expiry(value: object) -> datetime:
    if type(value) is not int or not 0 < value < _LATEST_EXPIRY:
        raise ValueError("the expiry is not an integer in range")
    return datetime.fromtimestamp(value, UTC)


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Opaque tokens are stored only as SHA-256: they carry 256 bits, so no salt is needed."""
    return hashlib.sha256(secret.encode()).hexdigest()
