from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import (
    AUTOINCREMENT,
    UTCDateTime,
    created_at_field,
    one_of,
    timestamp_field,
    where,
)


class MediaKind(StrEnum):
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENT = "document"


class MediaStatus(StrEnum):
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class Media(SQLModel, table=True):
    """A file a member uploaded: a work's image, audio, video or PDF, an avatar, a cover.

    The bytes live in the media storage (a directory or an S3-compatible store) under
    `storage_key`, a generated prefix: never anything taken from the uploaded file's name.
    An upload is `processing` until the processing job (app/media) has re-encoded it and made
    its variants; the job claims rows with a lease, as the webhook dispatcher claims
    deliveries. `deleted_at` is a tombstone: the row has left the API and the janitor removes
    its bytes from the storage, then the row (storage and database cannot share a transaction).
    `attached_at` is set the first time the media is attached to something; uploads never
    attached are removed after a day.
    """

    __tablename__ = "media"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", MediaKind), name="kind_known"),
        sa.CheckConstraint(one_of("status", MediaStatus), name="status_known"),
        sa.CheckConstraint("bytes >= 0", name="bytes_not_negative"),
        sa.UniqueConstraint("storage_key"),
        # The owner's library, newest first.
        sa.Index("ix_media_owner_id_id", "owner_id", "id"),
        # The processing job's query: uploads waiting for their variants.
        sa.Index(
            "ix_media_processing",
            "id",
            **where("status = 'processing' AND deleted_at IS NULL"),
        ),
        # The janitor's queries: uploads never attached, and tombstones.
        sa.Index(
            "ix_media_unattached_created_at",
            "created_at",
            **where("attached_at IS NULL AND deleted_at IS NULL"),
        ),
        sa.Index(
            "ix_media_deleted_at",
            "deleted_at",
            **where("deleted_at IS NOT NULL"),
        ),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="members.id", ondelete="CASCADE")
    storage_key: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    content_type: str = Field(max_length=64)
    bytes: int = Field(default=0, sa_type=sa.BigInteger)
    sha256: str = Field(max_length=64)
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    blurhash: str | None = Field(default=None, max_length=64)
    alt_text: str | None = Field(default=None, max_length=1000)
    status: str = Field(default=MediaStatus.PROCESSING.value, max_length=16)
    failure_reason: str | None = Field(default=None, max_length=300)
    # The variants made: {"thumb": {"width", "height", "bytes", "content_type"}, …}, or null.
    variants: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    processing_attempts: int = 0
    # A processing job that claimed the upload owns it until then (see app/media).
    leased_until: datetime | None = timestamp_field()
    lease_token: str | None = Field(default=None, max_length=32)
    attached_at: datetime | None = timestamp_field()
    deleted_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class MediaUsage(SQLModel, table=True):
    """The bytes a member's media take, against `SANGGAR_MEDIA_QUOTA_MB`.

    Kept apart from `members` so that an upload's conditional
    `UPDATE … SET bytes = bytes + :n WHERE bytes + :n <= :quota` never touches the member row
    (whose changes the token cache must hear about); two uploads at once cannot both pass.
    """

    __tablename__ = "media_usage"
    __table_args__ = (sa.CheckConstraint("bytes >= 0", name="bytes_not_negative"),)

    member_id: int = Field(foreign_key="members.id", primary_key=True, ondelete="CASCADE")
    bytes: int = Field(default=0, sa_type=sa.BigInteger)


class MediaUploadSlot(SQLModel, table=True):
    """One of a member's uploads in progress: numbers below
    `SANGGAR_MEDIA_MAX_CONCURRENT_UPLOADS`, so the primary key bounds how many run at once
    across every process. An upload takes a free (or lapsed) number before reading its body
    and deletes the row when it ends; a process killed meanwhile leaves a row that lapses
    at `held_until`.
    """

    __tablename__ = "media_upload_slots"

    member_id: int = Field(foreign_key="members.id", primary_key=True, ondelete="CASCADE")
    slot: int = Field(primary_key=True)
    token: str = Field(max_length=32)
    held_until: datetime = Field(sa_type=UTCDateTime)


class SubmissionMedia(SQLModel, table=True):
    """A work's files, in the author's order (at most 10)."""

    __tablename__ = "submission_media"
    __table_args__ = (
        sa.UniqueConstraint("submission_id", "media_id"),
        sa.CheckConstraint("position >= 0 AND position < 10", name="position_in_range"),
        # Is this media attached to a work, and to which?
        sa.Index("ix_submission_media_media_id", "media_id"),
    )

    submission_id: int = Field(foreign_key="submissions.id", primary_key=True, ondelete="CASCADE")
    position: int = Field(primary_key=True)
    media_id: int = Field(foreign_key="media.id", ondelete="CASCADE")
