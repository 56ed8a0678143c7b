"""Media: uploads streamed to storage, their metadata and bytes, the caller's library."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from app.core.db import SessionDep, quick_read
from app.core.deps import SettingsDep
from app.core.errors import Problem
from app.core.http import CONDITIONAL_GET_RESPONSES, json_response
from app.core.openapi import problems
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.core.types import IdPath
from app.i18n import N_
from app.media import service, uploading
from app.media.content import Served, file_response
from app.media.exceptions import MediaNotFound, MediaNotReady, MediaVariantNotFound
from app.media.presenters import media_out
from app.media.schemas import MediaOut, MediaPage
from app.media.storage import open_storage
from app.models import Media, MediaKind, MediaStatus
from app.principal.dependencies import CurrentMember, OptionalMember

router = ResourceRouter(prefix="/media", tags=["media"])
own_router = ResourceRouter(prefix="/members/me/media", tags=["media"])
routers = (own_router, router)

# The path whose body is read as it arrives (app.core.middleware: `streamed_paths`).
UPLOAD_PATH = "/api/v1/media"

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The file: JPEG, PNG, WebP, GIF, HEIC/HEIF, MP3, "
                            "OGG, WAV, M4A, MP4, WebM or PDF (decided from its bytes).",
                        },
                        "alt_text": {
                            "type": "string",
                            "maxLength": 1000,
                            "description": "What the image shows, for screen readers.",
                        },
                    },
                    "additionalProperties": False,
                },
                "encoding": {"file": {"contentType": "application/octet-stream"}},
            }
        },
    }
}


# What content answers carry: the accepted types, HEIC served as the JPEG it became.
_SERVED_TYPES = (
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/gif",
    "audio/mpeg",
    "audio/ogg",
    "audio/wav",
    "audio/mp4",
    "video/mp4",
    "video/webm",
    "application/pdf",
)
_SERVED = {name: {"schema": {"type": "string", "format": "binary"}} for name in _SERVED_TYPES}


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


_UPLOAD_PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: _problem("The multipart body cannot be read (malformed, cut short)."),
    408: _problem("The body stopped arriving: no data for the body timeout."),
    409: _problem("`media_quota_exceeded`: the upload would pass your quota."),
    413: _problem(
        "`media_too_large`: over the kind's size limit or the image megapixel limit; "
        "`body_too_large`: the declared body is over the largest upload limit."
    ),
    415: _problem("`unsupported_media_type`: the bytes are not an accepted type."),
    422: _problem("No `file` field, an unknown field, `alt_text` too long, or unreadable."),
    429: _problem(
        "`too_many_uploads`: as many of your uploads in progress as allowed (3 by default; "
        "`Retry-After`); `rate_limited`: over the request budget."
    ),
}


@router.post(
    "",
    status_code=201,
    response_model=MediaOut,
    summary="Upload a file",
    responses=_UPLOAD_PROBLEMS,
    openapi_extra=_UPLOAD_BODY,
)
async def media_upload(
    request: Request, session: SessionDep, settings: SettingsDep, member: CurrentMember
) -> Response:
    """Send `multipart/form-data` with `file` and optionally `alt_text`. The type comes from
    the file's bytes, never its name. Images answer `status: processing` (their metadata is
    stripped and variants made off the request; poll `GET /media/{id}`); audio, video and
    PDF are `ready` at once. Limits: images 25 MiB and 50 megapixels, audio 50 MiB, video
    200 MiB, PDF 50 MiB (413), your total quota (409), three uploads of yours in progress at
    once (429). Not attached within a day, an upload is removed."""
    owner_id = member.id  # read before the rollback, which expires the member
    assert owner_id is not None
    if session.in_transaction():
        # The token lookup's transaction (PostgreSQL): no connection is held while the body
        # arrives, which may take minutes. The upload writes in a Session of its own.
        await run_in_threadpool(session.rollback)
    media = await uploading.upload(request, settings, owner_id=owner_id)
    body = media_out(media)
    return json_response(
        request, body, status_code=201, headers={"Location": f"/api/v1/media/{media.id}"}
    )


@router.get(
    "/{media_id}",
    response_model=MediaOut,
    summary="Get a media's metadata",
    responses=CONDITIONAL_GET_RESPONSES | problems(404),
)
@quick_read()
def media_get(
    request: Request, session: SessionDep, media_id: IdPath, viewer: OptionalMember
) -> Response:
    """Yours always; anyone else's once it is attached to something you may see (else 404).
    Poll this after an upload until `status` is `ready` (or `failed`, with
    `failure_reason`)."""
    media = service.visible_media(session, media_id=media_id, viewer=viewer)
    return json_response(request, media_out(media))


class MediaVariantName(StrEnum):
    """An image's WebP copies: longest side 320, 1280 and 2560 (never upscaled)."""

    THUMB = "thumb"
    MEDIUM = "medium"
    LARGE = "large"


@router.get(
    "/{media_id}/content",
    summary="Get a media's bytes",
    response_class=Response,
    responses={
        200: {"description": "The bytes, with the media's content type.", "content": _SERVED},
        206: {"description": "The single byte range asked for (`Range`).", "content": _SERVED},
        304: {"description": "`If-None-Match` names these bytes: nothing sent."},
        307: {"description": "With object storage: a short-lived signed URL (`Location`)."},
        409: _problem("`media_not_ready`: an image still processing, or one that failed."),
        404: _problem("No such media visible to you, or no such variant of it."),
        416: _problem("`range_not_satisfiable`: the range starts past the end."),
    },
)
def media_content(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    media_id: IdPath,
    viewer: OptionalMember,
    variant: Annotated[
        MediaVariantName | None,
        Query(description="An image's WebP copy: `thumb` (320), `medium` (1280), `large` (2560)."),
    ] = None,
) -> Response:
    """The original (or a variant of an image) with `ETag`, `Range` (206) and
    `X-Content-Type-Options: nosniff`; with object storage a 307 to a signed URL valid for
    minutes. An image still processing is a 409 (its raw upload is never served)."""
    media = service.visible_media(session, media_id=media_id, viewer=viewer)
    key, content_type, etag = _stored(media, variant)
    storage = open_storage(settings)
    url = storage.signed_url(
        key, expires_in=settings.media_signed_url_seconds, content_type=content_type
    )
    if url is not None:
        return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
    path = storage.local_path(key)
    if path is None:
        raise MediaNotFound(
            N_("Media {media_id}'s bytes are not stored any more."), values={"media_id": media_id}
        )
    shown_to_anyone = viewer is None  # only a media everyone may see reaches an anonymous caller
    served = Served(
        content_type=content_type,
        etag=etag,
        cache_control=("public" if shown_to_anyone else "private") + ", max-age=300",
        disposition=_disposition(media, variant),
    )
    return file_response(request, path, served)


def _stored(media: Media, variant: str | None) -> tuple[str, str, str]:
    """The storage key, content type and ETag of what is asked for."""
    assert media.id is not None
    if variant is not None and media.kind != MediaKind.IMAGE:
        raise MediaVariantNotFound(
            N_("Only images have variants; media {media} is not one."), values={"media": media.id}
        )
    if media.status != MediaStatus.READY:
        if media.status == MediaStatus.FAILED:
            raise MediaNotReady(
                N_(
                    "Media {media} could not be processed: {failure_reason}. Upload it "
                    "again in another format."
                ),
                values={"media": media.id, "failure_reason": media.failure_reason},
            )
        raise MediaNotReady(
            N_(
                "Media {media} is still being processed; poll /api/v1/media/{media} "
                "until `status` is `ready`."
            ),
            values={"media": media.id},
        )
    if variant is None:
        return service.original_key(media.storage_key), media.content_type, f'"{media.sha256}"'
    made = (media.variants or {}).get(variant)
    if not made:
        raise MediaVariantNotFound(
            N_("Media {media} has no `{variant}` variant."),
            values={"media": media.id, "variant": variant},
        )
    key = service.variant_key(media.storage_key, variant)
    return key, str(made["content_type"]), f'"{media.sha256}-{variant}"'


def _disposition(media: Media, variant: str | None) -> str:
    """PDFs are downloaded, not opened in the API's origin; everything else is shown."""
    if media.kind == MediaKind.DOCUMENT and variant is None:
        return f'attachment; filename="media-{media.id}.pdf"'
    return "inline"


@router.delete(
    "/{media_id}", status_code=204, summary="Delete a media", responses=problems(404, 409)
)
def media_delete(session: SessionDep, media_id: IdPath, owner: CurrentMember) -> Response:
    """Your own media only. While it is attached (a work's file, your avatar, a cover) it
    cannot be deleted (409 `media_in_use`): detach it first. Its bytes go back to your quota
    at once and leave the storage shortly after."""
    media = service.owned_media(session, media_id=media_id, owner=owner)
    service.delete_media(session, media=media)
    return Response(status_code=204)


@own_router.get("", response_model=MediaPage, summary="List my media")
@quick_read()
def media_list_mine(
    session: SessionDep,
    owner: CurrentMember,
    page: PageParamsDep,
    status: Annotated[MediaStatus | None, Query(description="Only media in this state.")] = None,
    kind: Annotated[MediaKind | None, Query(description="Only media of this kind.")] = None,
) -> MediaPage:
    """Your uploads, newest first (deleted ones never). Nobody can list anyone else's."""
    rows, next_cursor = service.list_own(
        session, owner=owner, params=page, status=status, kind=kind
    )
    return MediaPage(items=[media_out(row) for row in rows], next_cursor=next_cursor)
