"""One upload, from the request's body to a committed row.

0. A slot among the member's uploads in progress (app.media.slots): 429 when all
   `SANGGAR_MEDIA_MAX_CONCURRENT_UPLOADS` are held, before any of the body is read.
1. The body is read as it arrives into a spool file (app.media.uploads): the type from the
   first bytes (415), the kind's size limit while counting (413). No database connection,
   no place among the admitted requests and no SQLite write turn is held meanwhile; at
   most `SANGGAR_MAX_CONCURRENT_REQUESTS` uploads are read at once per process.
2. An image's dimensions are read from the file's header (413 over the megapixel limit: a
   decompression bomb is refused before anything decodes it); audio and video are probed
   for their duration. In a worker thread.
3. A quick look at the quota (409 before storing bytes that cannot be kept).
4. The file is stored: an image as its raw upload, waiting for processing (it still carries
   its metadata and is never served); any other kind as the original, ready at once.
5. The row and the quota reservation, in one transaction taken in the request's write turn
   (`write_turn`): the reservation is one conditional statement, so two uploads at once
   cannot both pass the quota. Refused, the stored object is deleted again. The same
   transaction gives the slot back (a refused upload gives it back in one of its own).

A process killed between storing the file and committing the row leaves an object no row
names: the janitor removes such objects once they are older than the orphan time.
"""

from __future__ import annotations

import asyncio
import weakref

import anyio.to_thread
import structlog
from fastapi import Request
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.requests import ClientDisconnect

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.middleware import write_turn
from app.i18n import N_
from app.media import service, slots
from app.media.exceptions import (
    MalformedUpload,
    MediaStorageUnavailable,
    MediaTooLarge,
    MediaUnreadable,
)
from app.media.storage import MediaStorage, open_storage
from app.media.uploads import Spooled, limits_of, receive_upload
from app.models import Media, MediaKind

log = structlog.get_logger("sanggar.media")

MIB = 1024 * 1024
# What a multipart body carries besides the file: boundaries, part headers, `alt_text`.
MULTIPART_OVERHEAD = MIB


def upload_limits(settings: Settings) -> dict[MediaKind, int]:
    return limits_of(
        image_mb=settings.media_image_max_mb,
        audio_mb=settings.media_audio_max_mb,
        video_mb=settings.media_video_max_mb,
        document_mb=settings.media_document_max_mb,
    )


def upload_body_limit(settings: Settings) -> int:
    """The largest body an upload may have: the largest kind's limit and the multipart."""
    return max(upload_limits(settings).values()) + MULTIPART_OVERHEAD


# Uploads a process reads at once, per event loop: what the spool holds is bounded by this
# many times the largest upload. Others wait their turn (unread: the body timeout starts at
# the first read).
_reading: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _turn_to_read(settings: Settings) -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    turns = _reading.get(loop)
    if turns is None:
        turns = _reading[loop] = asyncio.Semaphore(settings.max_concurrent_requests)
    return turns


async def upload(request: Request, settings: Settings, *, owner_id: int) -> Media:
    engine: Engine = request.app.state.engine
    async with write_turn(request.scope):
        slot = await anyio.to_thread.run_sync(
            lambda: slots.take(
                engine,
                member_id=owner_id,
                limit=settings.media_max_concurrent_uploads,
                now=utcnow(),
            )
        )
    try:
        return await _read_and_keep(request, settings, slot)  # gives the slot back with its row
    except BaseException:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_give_back, engine, slot)
        raise


async def _read_and_keep(request: Request, settings: Settings, slot: slots.Slot) -> Media:
    storage = open_storage(settings)
    try:
        async with _turn_to_read(settings):
            spooled = await receive_upload(
                request.stream(),
                content_type=request.headers.get("content-type"),
                spool_dir=storage.spool_dir,
                limits=upload_limits(settings),
            )
    except ClientDisconnect:
        raise MalformedUpload(N_("The client went away before the upload was complete.")) from None
    try:
        return await _keep(request, settings, storage, spooled, slot)
    finally:
        spooled.path.unlink(missing_ok=True)


async def _keep(
    request: Request,
    settings: Settings,
    storage: MediaStorage,
    spooled: Spooled,
    slot: slots.Slot,
) -> Media:
    new = await anyio.to_thread.run_sync(_probed, spooled, settings, slot.member_id)
    quota = service.quota_bytes(settings.media_quota_mb)
    engine: Engine = request.app.state.engine
    await anyio.to_thread.run_sync(_check_quota, request.app.state.read_engine, new, quota)
    key = (
        service.original_key(new.storage_key) if new.ready else service.upload_key(new.storage_key)
    )
    try:
        await anyio.to_thread.run_sync(_put, storage, key, spooled)
    except Exception as error:
        log.exception("media_store_failed", key=key)
        raise MediaStorageUnavailable(
            N_("The media storage cannot take the file right now; nothing was kept. Retry soon.")
        ) from error
    try:
        async with write_turn(request.scope):
            return await anyio.to_thread.run_sync(_insert, engine, new, quota, slot)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(storage.delete, [key])
        raise


def _probed(spooled: Spooled, settings: Settings, owner_id: int) -> service.NewMedia:
    from app.media import imaging  # Pillow and friends load at the first upload (~9 MiB)

    width = height = None
    duration = None
    if spooled.kind is MediaKind.IMAGE:
        try:
            width, height = imaging.read_dimensions(
                spooled.path, max_megapixels=settings.media_image_max_megapixels
            )
        except imaging.ImageTooLarge as error:
            raise MediaTooLarge(error.message, values=error.values) from None
        except imaging.UnprocessableMedia as error:
            raise MediaUnreadable(error.message, values=error.values) from None
    elif spooled.kind in (MediaKind.AUDIO, MediaKind.VIDEO):
        duration = imaging.read_duration(spooled.path, spooled.content_type)
    return service.NewMedia(
        owner_id=owner_id,
        storage_key=service.new_storage_key(),
        kind=spooled.kind,
        content_type=spooled.content_type,
        size=spooled.size,
        sha256=spooled.sha256,
        alt_text=spooled.alt_text,
        width=width,
        height=height,
        duration_s=duration,
        ready=spooled.kind is not MediaKind.IMAGE,
    )


def _check_quota(engine: Engine, new: service.NewMedia, quota: int) -> None:
    with Session(engine) as session:
        service.check_quota(session, member_id=new.owner_id, size=new.size, quota=quota)


def _put(storage: MediaStorage, key: str, spooled: Spooled) -> None:
    storage.put_file(key, spooled.path, content_type=spooled.content_type)


def _insert(engine: Engine, new: service.NewMedia, quota: int, slot: slots.Slot) -> Media:
    with Session(engine, expire_on_commit=False) as session:
        media = service.create_media(session, new, quota=quota)
        slots.give_back(session, slot)  # one commit for both
        session.commit()
        return media


def _give_back(engine: Engine, slot: slots.Slot) -> None:
    with Session(engine) as session:
        slots.give_back(session, slot)
        session.commit()
