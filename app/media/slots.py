"""How many uploads a member has in progress at once, across every app process.

A member may have `SANGGAR_MEDIA_MAX_CONCURRENT_UPLOADS` uploads in progress (3 by
default); one more is refused with 429 `too_many_uploads` before its body is read. Each
upload holds a slot: a row of `media_upload_slots` keyed (member, number below the limit).
Taking one is, for each number in turn, one statement

    INSERT … VALUES (:member, :number, :token, now + SLOT_LEASE)
    ON CONFLICT (member_id, slot) DO UPDATE SET token = …, held_until = …
    WHERE media_upload_slots.held_until < now RETURNING slot

which takes the number when it is free or its holder's lease ended, and touches nothing
when another upload holds it. The primary key makes the bound hold for any number of
processes, on SQLite and PostgreSQL alike (on PostgreSQL a concurrent INSERT of the same
key waits for the other's commit, then re-checks the WHERE). The upload gives its slot back
in the transaction that commits its row (or in its own when it is refused); a process
killed meanwhile leaves a row that lapses after `SLOT_LEASE`.

The database rather than Redis: it is always there, the bound then holds with or without
Redis, and an upload already writes to it; a slot costs one small write at the start.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.core.db import upsert_insert
from app.media.exceptions import TooManyUploads
from app.models import MediaUploadSlot

# Longer than an upload of the largest file takes over a slow link: a slot outlives its
# upload only when the process holding it was killed, and then frees itself after this.
SLOT_LEASE = timedelta(hours=1)


@dataclass(frozen=True)
class Slot:
    member_id: int
    number: int
    token: str


def take(engine: Engine, *, member_id: int, limit: int, now: datetime) -> Slot:
    """A free slot of the member's, or 429 `too_many_uploads` when all are held."""
    token = secrets.token_hex(16)
    with Session(engine) as session:
        for number in range(limit):
            if _take(session, Slot(member_id, number, token), now=now):
                return Slot(member_id, number, token)
    raise TooManyUploads(limit)


def _take(session: Session, slot: Slot, *, now: datetime) -> bool:
    insert = upsert_insert(session, MediaUploadSlot).values(
        member_id=slot.member_id, slot=slot.number, token=slot.token, held_until=now + SLOT_LEASE
    )
    statement = insert.on_conflict_do_update(
        index_elements=["member_id", "slot"],
        set_={"token": insert.excluded.token, "held_until": insert.excluded.held_until},
        where=col(MediaUploadSlot.held_until) < now,
    )
    # A row comes back when the slot was taken (the driver's rowcount of an upsert is -1 on
    # PostgreSQL, so it cannot tell).
    taken = session.execute(statement.returning(col(MediaUploadSlot.slot))).first()
    session.commit()
    return taken is not None


def give_back(session: Session, slot: Slot) -> None:
    """Frees the slot (unless it lapsed and another upload took it). The caller commits."""
    session.execute(
        sa.delete(MediaUploadSlot)
        .where(
            col(MediaUploadSlot.member_id) == slot.member_id,
            col(MediaUploadSlot.slot) == slot.number,
            col(MediaUploadSlot.token) == slot.token,
        )
        .execution_options(synchronize_session=False)
    )
