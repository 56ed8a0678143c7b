"""The media feature's refusals: each a status and a code described in the problem catalogue."""

from __future__ import annotations

from typing import Any

from app.core.errors import BadRequest, Conflict, NotFound, ProblemError, Unprocessable
from app.i18n import N_


class UnsupportedMediaType(ProblemError):
    status = 415
    code = "unsupported_media_type"


class MediaTooLarge(ProblemError):
    status = 413
    code = "media_too_large"


class MediaQuotaExceeded(Conflict):
    code = "media_quota_exceeded"


class MediaNotFound(NotFound):
    code = "media_not_found"


class MediaNotReady(Conflict):
    code = "media_not_ready"


class MediaInUse(Conflict):
    code = "media_in_use"


class MediaVariantNotFound(NotFound):
    code = "media_variant_not_found"


class RangeNotSatisfiable(ProblemError):
    status = 416
    code = "range_not_satisfiable"


class MalformedUpload(BadRequest):
    code = "malformed_upload"


class InvalidUpload(Unprocessable):
    """A well-formed multipart body whose fields are wrong (no `file`, an unknown field)."""


class MediaUnreadable(Unprocessable):
    """Bytes that start like an accepted type but cannot be read as one."""

    code = "media_unreadable"

    def __init__(self, detail: str, values: dict[str, Any] | None = None) -> None:
        super().__init__(detail, loc=["body", "file"], values=values)


class MediaStorageUnavailable(ProblemError):
    """The media storage failed (an S3 store unreachable, a full disk): nothing was kept."""

    status = 503
    code = "media_storage_unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"Retry-After": "5"})


class TooManyUploads(ProblemError):
    """The member already has as many uploads in progress as allowed (app.media.slots)."""

    status = 429
    code = "too_many_uploads"

    def __init__(self, limit: int) -> None:
        super().__init__(
            N_("At most {limit} of your uploads may be in progress at once: wait for one to end."),
            values={"limit": limit},
            headers={"Retry-After": "5"},
        )
