"""Media rows: the quota, creating an upload's row, reading what a caller may see, deleting.

The quota tally `media_usage.bytes` is the sum of the bytes of the member's media that are
not tombstoned. Every change to it is one conditional statement in the transaction that
changes the media: an upload reserves its bytes (refused when the sum would pass the quota,
two uploads at once included), processing adjusts by the difference its re-encoding made,
and a tombstone (deletion, the janitor) gives them back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from app.core.clock import utcnow
from app.core.db import upsert_insert
from app.core.pagination import PageParams, desc, paginate
from app.i18n import N_
from app.media import access
from app.media.exceptions import MediaInUse, MediaNotFound, MediaQuotaExceeded
from app.models import (
    Challenge,
    Event,
    Media,
    MediaKind,
    MediaStatus,
    MediaUsage,
    Member,
    Project,
    SubmissionMedia,
)
from app.problems.details import does_not_exist

MIB = 1024 * 1024


def new_storage_key() -> str:
    """A fresh prefix for a media's objects: random, never taken from the upload."""
    return secrets.token_hex(16)


def upload_key(storage_key: str) -> str:
    """The raw upload of an image, waiting for processing (it still carries its metadata)."""
    return f"{storage_key}/upload"


def original_key(storage_key: str) -> str:
    return f"{storage_key}/original"


def variant_key(storage_key: str, name: str) -> str:
    return f"{storage_key}/{name}.webp"


def every_key(media: Media) -> list[str]:
    """Every object a media may have stored (deleting one that is not there is harmless)."""
    names = ("thumb", "medium", "large")
    key = media.storage_key
    return [upload_key(key), original_key(key), *(variant_key(key, n) for n in names)]


# --- the quota ---------------------------------------------------------------------------


def quota_bytes(quota_mb: int) -> int:
    return quota_mb * MIB


def used_bytes(session: Session, member_id: int) -> int:
    used = session.scalar(
        sa.select(col(MediaUsage.bytes)).where(col(MediaUsage.member_id) == member_id)
    )
    return int(used or 0)


def reserve(session: Session, *, member_id: int, size: int, quota: int) -> None:
    """Adds `size` to the member's tally unless the tally would pass `quota` (409).

    One statement: `INSERT … ON CONFLICT (member_id) DO UPDATE SET bytes = bytes + n WHERE
    bytes + n <= quota RETURNING bytes`. PostgreSQL re-checks the WHERE against the row as a
    concurrent upload committed it (the conflicting row is locked); on SQLite writes run one
    at a time. No row returned: the quota would be passed.
    """
    if size > quota:
        raise _quota_exceeded(size, quota)
    insert = upsert_insert(session, MediaUsage).values(member_id=member_id, bytes=size)
    statement = insert.on_conflict_do_update(
        index_elements=[col(MediaUsage.member_id)],
        set_={"bytes": MediaUsage.bytes + size},
        where=MediaUsage.bytes + size <= quota,
    ).returning(col(MediaUsage.bytes))
    if session.execute(statement).first() is None:
        raise _quota_exceeded(size, quota)


def _quota_exceeded(size: int, quota: int) -> MediaQuotaExceeded:
    return MediaQuotaExceeded(
        N_(
            "This upload ({size} bytes) would take your media past your quota of "
            "{quota} MiB; delete some of your media first."
        ),
        values={"size": size, "quota": quota // MIB},
    )


def check_quota(session: Session, *, member_id: int, size: int, quota: int) -> None:
    """A cheap early refusal before storing the bytes (not binding: `reserve` decides)."""
    if used_bytes(session, member_id) + size > quota:
        raise _quota_exceeded(size, quota)


def adjust_usage(session: Session, *, member_id: int, delta: int) -> None:
    """Moves the tally by `delta` (a tombstone's give-back, processing's difference)."""
    if delta == 0:
        return
    moved = col(MediaUsage.bytes) + delta
    session.execute(
        sa.update(MediaUsage)
        .where(col(MediaUsage.member_id) == member_id)
        .values(bytes=sa.case((moved < 0, 0), else_=moved))
    )


# --- creating ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewMedia:
    owner_id: int
    storage_key: str
    kind: MediaKind
    content_type: str
    size: int
    sha256: str
    alt_text: str | None
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    ready: bool = False


def create_media(session: Session, new: NewMedia, *, quota: int) -> Media:
    """Reserves the quota and writes the row, in the caller's transaction."""
    reserve(session, member_id=new.owner_id, size=new.size, quota=quota)
    now = utcnow()
    media = Media(
        owner_id=new.owner_id,
        storage_key=new.storage_key,
        kind=new.kind.value,
        content_type=new.content_type,
        bytes=new.size,
        sha256=new.sha256,
        width=new.width,
        height=new.height,
        duration_s=new.duration_s,
        alt_text=new.alt_text,
        status=(MediaStatus.READY if new.ready else MediaStatus.PROCESSING).value,
        created_at=now,
        updated_at=now,
    )
    session.add(media)
    session.flush()
    return media


# --- reading -----------------------------------------------------------------------------


def _live(session: Session, media_id: int) -> Media | None:
    return session.scalar(
        sa.select(Media).where(col(Media.id) == media_id, col(Media.deleted_at).is_(None))
    )


def visible_media(session: Session, *, media_id: int, viewer: Member | None) -> Media:
    """The media when the caller may see it (owner, or a registered check says so); else 404."""
    media = _live(session, media_id)
    if media is None or not access.may_see(session, media, viewer):
        raise does_not_exist(MediaNotFound, N_("Media"), media_id)
    return media


def owned_media(session: Session, *, media_id: int, owner: Member) -> Media:
    """The caller's own media; anyone else's is a 404, as if it did not exist."""
    media = _live(session, media_id)
    if media is None or media.owner_id != owner.id:
        raise does_not_exist(MediaNotFound, N_("Media"), media_id)
    return media


def list_own(
    session: Session,
    *,
    owner: Member,
    params: PageParams,
    status: MediaStatus | None = None,
    kind: MediaKind | None = None,
) -> tuple[list[Media], str | None]:
    statement = sa.select(Media).where(
        col(Media.owner_id) == owner.id, col(Media.deleted_at).is_(None)
    )
    if status is not None:
        statement = statement.where(col(Media.status) == status.value)
    if kind is not None:
        statement = statement.where(col(Media.kind) == kind.value)
    return paginate(session, statement, keys=[desc(Media.id)], params=params)


# --- deleting ----------------------------------------------------------------------------


def referenced(media_id: Any) -> sa.ColumnElement[bool]:
    """Whether anything refers to the media: a work, an avatar, a cover."""
    return sa.or_(
        sa.exists().where(col(SubmissionMedia.media_id) == media_id),
        sa.exists().where(col(Member.avatar_media_id) == media_id),
        sa.exists().where(col(Event.cover_media_id) == media_id),
        sa.exists().where(col(Challenge.cover_media_id) == media_id),
        sa.exists().where(col(Project.cover_media_id) == media_id),
    )


def tombstone(
    session: Session, *, media_id: int, also: sa.ColumnElement[bool] | None = None
) -> bool:
    """Tombstones the media unless something refers to it (checked in the same statement),
    and gives its bytes back to the owner's tally. Returns whether it was tombstoned."""
    conditions = [
        col(Media.id) == media_id,
        col(Media.deleted_at).is_(None),
        ~referenced(col(Media.id)),
    ]
    if also is not None:
        conditions.append(also)
    # The row locked first, the references read by the next statement: on PostgreSQL an
    # attach that committed meanwhile (it locks the media too) is then seen.
    session.execute(sa.select(col(Media.id)).where(col(Media.id) == media_id).with_for_update())
    now = utcnow()
    row = session.execute(
        sa.update(Media)
        .where(*conditions)
        .values(deleted_at=now, updated_at=now)
        .returning(col(Media.owner_id), col(Media.bytes))
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return False
    adjust_usage(session, member_id=row[0], delta=-int(row[1]))
    return True


def delete_media(session: Session, *, media: Media) -> None:
    """The owner deletes: 409 while it is attached anywhere; else tombstoned (the janitor
    removes the bytes, then the row)."""
    assert media.id is not None
    if not tombstone(session, media_id=media.id):
        raise MediaInUse(
            N_("Media {media} is attached to a work, an avatar or a cover; detach it first."),
            values={"media": media.id},
        )


def tombstone_orphans(session: Session, *, created_before: datetime, limit: int) -> int:
    """Tombstones up to `limit` media never attached and created before the moment."""
    candidates = session.scalars(
        sa.select(col(Media.id))
        .where(
            col(Media.attached_at).is_(None),
            col(Media.deleted_at).is_(None),
            col(Media.created_at) < created_before,
        )
        .order_by(col(Media.created_at))
        .limit(limit)
    ).all()
    removed = 0
    for media_id in candidates:
        unattached = sa.and_(
            col(Media.attached_at).is_(None), col(Media.created_at) < created_before
        )
        if media_id is not None:
            removed += tombstone(session, media_id=media_id, also=unattached)
    return removed
