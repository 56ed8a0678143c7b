"""`Idempotency-Key` on creating POSTs: a retry returns the first response, not a second row.

The key and the first response are stored in the same transaction as the creation, so a
crash can never leave one without the other. Two requests racing with one key meet at the
unique constraint on (owner, key): the loser is rolled back and told to retry (409).
"""

import hashlib
import random
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.core.clock import utcnow
from app.core.db import SessionDep, quickly
from app.core.errors import Conflict, Unprocessable
from app.core.http import JSON_MEDIA_TYPE, etag_of, render
from app.core.idempotency_keys import IdempotencyKey
from app.core.openapi import declares
from app.i18n import N_

KEY_LIFETIME = timedelta(hours=24)
REPLAY_HEADER = "Idempotent-Replayed"


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"


class IdempotentReplay(Exception):
    """Raised to answer a retry with the stored first response."""

    def __init__(self, stored: IdempotencyKey) -> None:
        super().__init__(stored.key)
        # Copied out now: the session is rolled back (and the row expired) before we answer.
        self.status_code = stored.status_code
        self.body = stored.response_body.encode()
        self.location = stored.location

    def response(self) -> Response:
        headers = {REPLAY_HEADER: "true", "ETag": etag_of(self.body)}
        if self.location:
            headers["Location"] = self.location
        return Response(
            self.body, status_code=self.status_code, media_type=JSON_MEDIA_TYPE, headers=headers
        )


class Creation:
    """What a creating handler answers with: 201, Location, ETag, and the stored replay."""

    def __init__(self, session: Session, *, owner: str, key: str | None, fingerprint: str) -> None:
        self.session = session
        self.owner = owner
        self.key = key
        self.fingerprint = fingerprint

    def created(self, model: BaseModel, *, location: str) -> Response:
        body = render(model)
        if self.key is not None:
            self._remember(self.key, body, location)
        headers = {"Location": location, "ETag": etag_of(body)}
        return Response(body, status_code=201, media_type=JSON_MEDIA_TYPE, headers=headers)

    def _remember(self, key: str, body: bytes, location: str) -> None:
        record = IdempotencyKey(
            owner=self.owner,
            key=key,
            request_hash=self.fingerprint,
            status_code=201,
            response_body=body.decode(),
            location=location,
        )
        try:
            with self.session.begin_nested():
                self.session.add(record)
        except IntegrityError as error:
            raise IdempotencyKeyInUse(
                N_("Another request with this Idempotency-Key is being processed; retry shortly.")
            ) from error
        if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
            _forget_expired(self.session)


def _forget_expired(session: Session) -> None:
    cutoff = utcnow() - KEY_LIFETIME
    session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))  # type: ignore[arg-type]


def _unexpired(session: Session, owner: str, key: str) -> IdempotencyKey | None:
    """The key's first use; an expired one is forgotten (and the key used again)."""
    stored = session.exec(select(IdempotencyKey).filter_by(owner=owner, key=key)).first()
    if stored is not None and stored.created_at < utcnow() - KEY_LIFETIME:
        session.delete(stored)
        session.flush()
        return None
    return stored


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="A unique key per intended creation (e.g. a UUID); a retry with the same "
        "key and body returns the first response.",
    ),
]


def creation_dependency(owner_of: Callable[..., str]) -> Callable[..., Awaitable[Creation]]:
    """Builds the dependency creating handlers take; `owner_of` names who holds the key."""

    @declares(409, 422)
    async def creation(
        request: Request,
        session: SessionDep,
        owner: Annotated[str, Depends(owner_of)],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Creation:
        if idempotency_key is None:  # no body to hash, no hop to a worker thread (async)
            return Creation(session, owner=owner, key=None, fingerprint="")
        request_line = f"{request.method} {request.url.path}?{request.url.query}\n"
        fingerprint = hashlib.sha256(request_line.encode() + await request.body()).hexdigest()
        stored = await quickly(session, _unexpired, session, owner, idempotency_key)
        if stored is not None and stored.request_hash != fingerprint:
            raise IdempotencyKeyReused(
                N_("This Idempotency-Key was used with a different request body."),
                loc=["header", "Idempotency-Key"],
            )
        if stored is not None:
            raise IdempotentReplay(stored)
        return Creation(session, owner=owner, key=idempotency_key, fingerprint=fingerprint)

    return creation


async def replay_handler(_request: Request, exc: Any) -> Response:
    assert isinstance(exc, IdempotentReplay)
    return exc.response()
