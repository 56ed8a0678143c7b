"""Processing uploaded images off the request: metadata stripped, variants made.

Every app process runs this every `SANGGAR_MEDIA_PROCESS_SECONDS`, in the periodic job's
worker thread (the decoding and encoding never run on the event loop). One upload at a time:

1. claim (app.leases, as the webhook dispatcher claims deliveries): the oldest upload still
   processing, not deleted, unleased and with attempts left gets `leased_until = now +
   LEASE`, a lease token and `processing_attempts + 1`, committed at once: one process gets
   it; a process that dies holding it leaves a lease that expires, then any process claims
   it again. The attempt is counted when it is claimed, so a file that kills its process
   every time stops being tried.
2. fetch the raw upload to a temporary directory, re-encode it (orientation applied, every
   EXIF/XMP/GPS field dropped; HEIC becomes JPEG), make the WebP variants and the blurhash,
   store the original and the variants: no transaction held meanwhile.
3. record, only while the lease is still ours (`WHERE lease_token = :t`): `ready` with
   what was made, the owner's quota moved by the difference between the re-encoded original
   and the upload; then the raw upload is deleted from the storage.

A file that cannot be read (`UnprocessableMedia`) is `failed` with the reason at once, its
raw upload deleted and its bytes given back to the quota, and the owner is notified
(`MediaProcessingFailed`). Any other error (the storage unreachable, a crash) hands the
upload back to be tried again, up to `MAX_ATTEMPTS` attempts, after which it fails too.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import structlog
from sqlmodel import Session, col

from app.core import periodic
from app.core.clock import utcnow
from app.core.config import Settings, get_settings
from app.core.db import rows_affected
from app.core.domain_events import MediaProcessingFailed, publish
from app.leases import Leases
from app.media import service
from app.media.storage import MediaStorage, StorageKeyMissing, open_storage
from app.models import Media, MediaKind, MediaStatus

log = structlog.get_logger("sanggar.media")

# Longer than processing the largest image allowed takes (50 megapixels, three variants).
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 3
MAX_PER_RUN = 20  # a run stops after this many uploads; the next run goes on
# After an error that may pass (the storage unreachable): this × the attempts made.
RETRY_DELAY = timedelta(seconds=30)
GAVE_UP = "it could not be processed after several attempts"
REASON_LIMIT = 300

# The uploads this process holds a lease on (handed back at a graceful shutdown).
LEASES = Leases(Media)


@dataclass(frozen=True)
class Claimed:
    lease_token: str
    media_id: int
    owner_id: int
    storage_key: str
    kind: str
    content_type: str
    size: int
    attempts: int


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(Media.status) == MediaStatus.PROCESSING.value,
        col(Media.deleted_at).is_(None),
        col(Media.processing_attempts) < MAX_ATTEMPTS,
        sa.or_(col(Media.leased_until).is_(None), col(Media.leased_until) < now),
    )


def claim(session: Session, *, now: datetime, lease: timedelta = LEASE) -> Claimed | None:
    """Leases one upload waiting for processing to this caller, reads it and commits (the
    lease and the read in one transaction)."""
    token = LEASES.claim(
        session,
        sa.select(col(Media.id)).where(_claimable(now)).order_by(col(Media.id)).limit(1),
        claimable=_claimable(now),
        until=now + lease,
        also={"processing_attempts": Media.processing_attempts + 1},
    )
    row = session.execute(
        sa.select(
            col(Media.id),
            col(Media.owner_id),
            col(Media.storage_key),
            col(Media.kind),
            col(Media.content_type),
            col(Media.bytes),
            col(Media.processing_attempts),
        ).where(col(Media.lease_token) == token)
    ).first()
    session.commit()
    if row is None:
        LEASES.let_go(token)
        return None
    return Claimed(token, *row)


def release_held(session: Session) -> int:
    """Hands back the uploads this process still holds (a graceful shutdown). The caller
    commits."""
    return LEASES.release_held(session)


@dataclass(frozen=True)
class Made:
    """What processing stored, to be recorded."""

    content_type: str
    width: int
    height: int
    size: int
    sha256: str
    blurhash: str | None
    variants: dict[str, dict[str, Any]]


def make(claimed: Claimed, storage: MediaStorage, settings: Settings) -> Made:
    """Re-encodes the raw upload and stores the original and the variants (no database)."""
    from app.media import imaging  # Pillow and friends load when there is something to process

    key = claimed.storage_key
    with tempfile.TemporaryDirectory(prefix="sanggar-media-") as scratch:
        source = Path(scratch) / "upload"
        storage.fetch_to(service.upload_key(key), source)
        work = Path(scratch) / "work"
        work.mkdir()
        processed = imaging.process_image(
            source, work, max_megapixels=settings.media_image_max_megapixels
        )
        storage.put_file(
            service.original_key(key), processed.original, content_type=processed.content_type
        )
        variants: dict[str, dict[str, Any]] = {}
        for variant in processed.variants:
            storage.put_file(
                service.variant_key(key, variant.name),
                variant.path,
                content_type=variant.content_type,
            )
            variants[variant.name] = {
                "width": variant.width,
                "height": variant.height,
                "bytes": variant.bytes,
                "content_type": variant.content_type,
            }
    return Made(
        content_type=processed.content_type,
        width=processed.width,
        height=processed.height,
        size=processed.bytes,
        sha256=processed.sha256,
        blurhash=processed.blurhash,
        variants=variants,
    )


def _ours(claimed: Claimed) -> list[sa.ColumnElement[bool]]:
    return [
        col(Media.id) == claimed.media_id,
        col(Media.lease_token) == claimed.lease_token,
        col(Media.deleted_at).is_(None),
    ]


def record_ready(session: Session, claimed: Claimed, made: Made) -> bool:
    """`ready` with what was made, while the lease is ours; the quota moves by the
    difference. Returns whether it was recorded. The caller commits."""
    updated = session.execute(
        sa.update(Media)
        .where(*_ours(claimed))
        .values(
            status=MediaStatus.READY.value,
            content_type=made.content_type,
            width=made.width,
            height=made.height,
            bytes=made.size,
            sha256=made.sha256,
            blurhash=made.blurhash,
            variants=made.variants,
            failure_reason=None,
            leased_until=None,
            lease_token=None,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if rows_affected(updated) != 1:
        return False
    service.adjust_usage(session, member_id=claimed.owner_id, delta=made.size - claimed.size)
    return True


def record_failed(session: Session, claimed: Claimed, reason: str) -> bool:
    """`failed` with the reason, its bytes given back, the owner told. The caller commits."""
    updated = session.execute(
        sa.update(Media)
        .where(*_ours(claimed))
        .values(
            status=MediaStatus.FAILED.value,
            failure_reason=reason[:REASON_LIMIT],
            bytes=0,
            leased_until=None,
            lease_token=None,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if rows_affected(updated) != 1:
        return False
    service.adjust_usage(session, member_id=claimed.owner_id, delta=-claimed.size)
    publish(
        session,
        MediaProcessingFailed(
            media_id=claimed.media_id, owner_id=claimed.owner_id, reason=reason[:REASON_LIMIT]
        ),
    )
    return True


def _hand_back(session: Session, claimed: Claimed, *, retry_at: datetime | None = None) -> None:
    """Lets go of the upload: claimable again at once, or from `retry_at` (an error that
    may pass, such as the storage unreachable)."""
    session.execute(
        sa.update(Media)
        .where(col(Media.lease_token) == claimed.lease_token)
        .values(leased_until=retry_at, lease_token=None)
        .execution_options(synchronize_session=False)
    )


def process_one(session: Session, settings: Settings, storage: MediaStorage) -> bool:
    """Claims and processes one upload; returns whether there was one."""
    claimed = claim(session, now=utcnow(), lease=LEASE)
    if claimed is None:
        return False
    try:
        try:
            outcome = _process(claimed, storage, settings)
        except Exception:
            session.rollback()
            _hand_back(session, claimed, retry_at=utcnow() + RETRY_DELAY * claimed.attempts)
            session.commit()
            return True
        if isinstance(outcome, Made):
            if record_ready(session, claimed, outcome):
                session.commit()
                storage.delete([service.upload_key(claimed.storage_key)])
            else:  # deleted, or the lease lost: the janitor or the new holder takes over
                session.rollback()
                _hand_back(session, claimed)
                session.commit()
        else:
            record_failed(session, claimed, outcome)
            session.commit()
            storage.delete([service.upload_key(claimed.storage_key)])
    finally:
        LEASES.let_go(claimed.lease_token)
    return True


def _process(claimed: Claimed, storage: MediaStorage, settings: Settings) -> Made | str:
    """What was made, or why the upload failed for good."""
    from app.media import imaging

    if claimed.kind != MediaKind.IMAGE:
        return "only images are processed"
    try:
        return make(claimed, storage, settings)
    except imaging.UnprocessableMedia as error:
        return error.reason
    except StorageKeyMissing:
        return "the uploaded file is missing from the storage"
    except Exception:
        log.exception("media_processing_error", media_id=claimed.media_id, attempt=claimed.attempts)
        if claimed.attempts >= MAX_ATTEMPTS:
            return GAVE_UP
        raise


def give_up_stuck(session: Session, *, now: datetime) -> int:
    """Uploads whose every attempt ended without a record (the process died each time) are
    `failed`; returns how many. The caller commits."""
    stuck = session.execute(
        sa.select(col(Media.id), col(Media.owner_id), col(Media.bytes))
        .where(
            col(Media.status) == MediaStatus.PROCESSING.value,
            col(Media.deleted_at).is_(None),
            col(Media.processing_attempts) >= MAX_ATTEMPTS,
            sa.or_(col(Media.leased_until).is_(None), col(Media.leased_until) < now),
        )
        .limit(MAX_PER_RUN)
    ).all()
    failed = 0
    for media_id, owner_id, size in stuck:
        updated = session.execute(
            sa.update(Media)
            .where(
                col(Media.id) == media_id,
                col(Media.status) == MediaStatus.PROCESSING.value,
                sa.or_(col(Media.leased_until).is_(None), col(Media.leased_until) < now),
            )
            .values(
                status=MediaStatus.FAILED.value,
                failure_reason=GAVE_UP,
                bytes=0,
                leased_until=None,
                lease_token=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if rows_affected(updated) != 1:
            continue
        failed += 1
        service.adjust_usage(session, member_id=owner_id, delta=-int(size))
        publish(
            session, MediaProcessingFailed(media_id=media_id, owner_id=owner_id, reason=GAVE_UP)
        )
    return failed


def process_waiting(session: Session, settings: Settings, *, limit: int = MAX_PER_RUN) -> int:
    """Processes uploads until none waits (or `limit`); returns how many were taken."""
    storage = open_storage(settings)
    give_up_stuck(session, now=utcnow())
    session.commit()
    taken = 0
    while taken < limit and not periodic.stopping():
        if not process_one(session, settings, storage):
            break
        taken += 1
    return taken


def _release_at_shutdown(session: Session) -> None:
    release_held(session)


@periodic.job(
    "media_processing",
    every=lambda settings: settings.media_process_seconds,
    release=_release_at_shutdown,
)
def process_job(session: Session) -> None:
    # A served process's settings are get_settings() (app.main builds the app from them).
    process_waiting(session, get_settings())
