"""Removing media: uploads never attached, then the bytes and rows of tombstones.

Every app process runs this every `SANGGAR_MEDIA_JANITOR_SECONDS`:

1. uploads never attached (`attached_at IS NULL`) older than `SANGGAR_MEDIA_ORPHAN_HOURS`
   are tombstoned, each by one conditional UPDATE that re-checks, in the same statement,
   that nothing refers to it (an attach that committed meanwhile keeps it), with their
   bytes given back to the owner's quota;
2. tombstones (deleted by their owner, released by a feature, orphaned) lose their stored
   objects (original, raw upload, variants), then their row. Storage and database share no
   transaction, so the bytes go first: a crash in between leaves a row whose objects are
   gone, removed by the next run. A tombstone still leased by a processing run is left
   until its lease ends, so no object is stored after its row went.

Batches of `BATCH`; several processes at once only delete the same things twice.

Stray objects (`media_stray_objects`, every `STRAY_SCAN_SECONDS`, or the janitor's interval
if longer): an upload stores its file before it commits its row, so a process killed in
between leaves an object no row names. The job lists the store (`stored_before`), and
removes the objects written longer than `SANGGAR_MEDIA_ORPHAN_HOURS` ago whose storage key
no row has. Only names the app makes (`<32 hex>/<upload|original|variant>`) are touched,
so anything else kept in the same directory or bucket prefix is left alone. The age keeps
it clear of an upload whose row is about to be committed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from itertools import islice

import sqlalchemy as sa
import structlog
from sqlmodel import Session, col

from app.core import periodic
from app.core.clock import utcnow
from app.core.config import Settings, get_settings
from app.core.db import rows_affected
from app.media import service
from app.media.storage import MediaStorage, open_storage
from app.models import Media

log = structlog.get_logger("sanggar.media")

BATCH = 100
MAX_BATCHES = 20  # a run stops after this many; the next run goes on
# The store is listed whole: hourly is often enough for leftovers of a crash.
STRAY_SCAN_SECONDS = 3600.0
# The objects of a media: `<storage_key>/upload`, `/original`, `/<variant>.webp`.
_MEDIA_OBJECT = re.compile(r"(?P<storage_key>[0-9a-f]{32})/(upload|original|[a-z]+\.webp)")


def remove_orphans(session: Session, settings: Settings, *, now: datetime) -> int:
    """Tombstones a batch of uploads never attached; returns how many. The caller commits."""
    created_before = now - timedelta(hours=settings.media_orphan_hours)
    return service.tombstone_orphans(session, created_before=created_before, limit=BATCH)


def purge_tombstones(session: Session, storage: MediaStorage, *, now: datetime) -> int:
    """Deletes the objects, then the rows, of a batch of tombstones; returns how many rows.
    The caller commits."""
    rows = session.scalars(
        sa.select(Media)
        .where(
            col(Media.deleted_at).is_not(None),
            sa.or_(col(Media.leased_until).is_(None), col(Media.leased_until) < now),
        )
        .order_by(col(Media.deleted_at))
        .limit(BATCH)
    ).all()
    if not rows:
        return 0
    keys = [key for media in rows for key in service.every_key(media)]
    storage.delete(keys)
    deleted = session.execute(
        sa.delete(Media)
        .where(col(Media.id).in_([media.id for media in rows]), col(Media.deleted_at).is_not(None))
        .execution_options(synchronize_session=False)
    )
    return rows_affected(deleted)


def sweep(session: Session, settings: Settings, *, now: datetime | None = None) -> tuple[int, int]:
    """One janitor run: (uploads tombstoned as orphans, tombstones removed)."""
    now = now or utcnow()
    storage = open_storage(settings)
    orphaned = purged = 0
    for _ in range(MAX_BATCHES):
        orphans = remove_orphans(session, settings, now=now)
        session.commit()
        removed = purge_tombstones(session, storage, now=now)
        session.commit()
        orphaned, purged = orphaned + orphans, purged + removed
        if (orphans < BATCH and removed < BATCH) or periodic.stopping():
            break
    if orphaned or purged:
        log.info("media_janitor", orphans_tombstoned=orphaned, tombstones_removed=purged)
    return orphaned, purged


def remove_strays(
    session: Session, storage: MediaStorage, settings: Settings, *, now: datetime
) -> int:
    """Deletes the stored objects no row names, written longer than the orphan time ago;
    returns how many."""
    cutoff = now - timedelta(hours=settings.media_orphan_hours)
    removed = 0
    listing = storage.stored_before(cutoff)
    while listed := list(islice(listing, BATCH)):
        owners = {
            key: found["storage_key"] for key in listed if (found := _MEDIA_OBJECT.fullmatch(key))
        }
        named = set(
            session.scalars(
                sa.select(col(Media.storage_key)).where(
                    col(Media.storage_key).in_(set(owners.values()))
                )
            )
        )
        session.rollback()  # no transaction held while the storage is called
        strays = [key for key, storage_key in owners.items() if storage_key not in named]
        storage.delete(strays)
        removed += len(strays)
        if periodic.stopping():
            break
    if removed:
        log.info("media_strays_removed", objects=removed)
    return removed


@periodic.job(
    "media_stray_objects",
    every=lambda settings: max(settings.media_janitor_seconds, STRAY_SCAN_SECONDS),
)
def strays_job(session: Session) -> None:
    settings = get_settings()
    remove_strays(session, open_storage(settings), settings, now=utcnow())


@periodic.job("media_janitor", every=lambda settings: settings.media_janitor_seconds)
def janitor_job(session: Session) -> None:
    sweep(session, get_settings())
