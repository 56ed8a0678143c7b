"""The table behind `Idempotency-Key` (see app.core.idempotency): infrastructure, not domain,
so it lives in core beside the mechanism that uses it rather than among the models."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow
from app.core.tables import AUTOINCREMENT, UTCDateTime


class IdempotencyKey(SQLModel, table=True):
    """The first response to a creating POST, replayed when the client retries with its key."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("owner", "key"), AUTOINCREMENT)

    id: int | None = Field(default=None, primary_key=True)
    # "member:<id>" or "client:<address>": one client's keys never answer another's retries.
    owner: str = Field(max_length=80)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int
    response_body: str = Field(sa_type=sa.Text)
    location: str | None = Field(default=None, max_length=2048)
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )
