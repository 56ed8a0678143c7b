"""Attaching uploads to what features own, and letting go of them: the rules every
attaching feature shares (submissions, avatars, covers).

- Only the caller's own uploads attach: not deleted, not `failed` (`processing` is fine: a
  work may be entered while its photo's variants are being made), of an allowed kind. A
  refusal is a 422 `media_unavailable` naming the field (and the position in a list); it
  says the same for someone else's upload and for an id that never existed, so nobody
  learns which ids exist.
- The rows are locked while they are checked (`SELECT … FOR UPDATE`), so a deletion of the
  same upload waits for the attaching transaction, then sees the attachment.
- `attached_at` is set on the first attach (`UPDATE … WHERE attached_at IS NULL`): the
  janitor removes only uploads never attached.
- `release` tombstones uploads that were attached and are attached nowhere any more (a
  withdrawn or deleted work's files) and gives their bytes back to the owner's quota, in
  the caller's transaction; the janitor then removes their bytes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from app.core.clock import utcnow
from app.core.db import NO_SYNC
from app.core.errors import Unprocessable
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

IMAGES = frozenset({MediaKind.IMAGE})
ANY_KIND = frozenset(MediaKind)


class MediaUnavailable(Unprocessable):
    """An id given to attach is not one of the caller's usable uploads."""

    code = "media_unavailable"


def attached_anywhere(media_id: Any) -> sa.ColumnElement[bool]:
    """SQL: the media (a column or a value) is a work's file, an avatar or a cover."""
    references: list[Any] = [
        col(SubmissionMedia.media_id),
        col(Member.avatar_media_id),
        col(Event.cover_media_id),
        col(Challenge.cover_media_id),
        col(Project.cover_media_id),
    ]
    return sa.or_(*(sa.exists().where(reference == media_id) for reference in references))


def attach(
    session: Session,
    *,
    owner_id: int,
    media_ids: Sequence[int],
    field: str,
    kinds: frozenset[MediaKind] = ANY_KIND,
    listed: bool = True,
) -> None:
    """Checks that each id is the owner's usable upload of one of `kinds`, locks them and
    marks their first attach. `field` names the input in a refusal; `listed` adds the
    position (`["body", "media_ids", 2]`)."""
    if not media_ids:
        return
    wanted = sorted(set(media_ids))
    found: dict[int, str] = dict(
        session.execute(
            sa.select(col(Media.id), col(Media.kind))
            .where(
                col(Media.id).in_(wanted),
                col(Media.owner_id) == owner_id,
                col(Media.deleted_at).is_(None),
                col(Media.status) != MediaStatus.FAILED,
            )
            .order_by(col(Media.id))
            .with_for_update()
        ).all()
    )
    for position, media_id in enumerate(media_ids):
        loc: list[str | int] = ["body", field, position] if listed else ["body", field]
        if media_id not in found:
            raise MediaUnavailable(
                f"Media {media_id} is not one of your uploads, or it was deleted or could not "
                "be processed; upload the file again.",
                loc=loc,
            )
        if found[media_id] not in kinds:
            allowed = " or ".join(sorted(kinds))
            raise MediaUnavailable(
                f"Media {media_id} is {found[media_id]}; {field} takes {allowed}.", loc=loc
            )
    session.execute(
        sa.update(Media)
        .where(col(Media.id).in_(wanted), col(Media.attached_at).is_(None))
        .values(attached_at=utcnow()),
        execution_options=NO_SYNC,
    )


def release(session: Session, media_ids: Iterable[int]) -> list[int]:
    """Tombstones those of these uploads attached nowhere now (call it after removing the
    attachments) and takes their bytes off their owners' usage; returns the ids tombstoned.

    The rows are locked first and checked in a later statement, so an attach of the same
    upload that committed meanwhile is seen (PostgreSQL re-reads after the lock wait)."""
    wanted = sorted(set(media_ids))
    if not wanted:
        return []
    locked = list(
        session.execute(
            sa.select(col(Media.id))
            .where(col(Media.id).in_(wanted), col(Media.deleted_at).is_(None))
            .order_by(col(Media.id))
            .with_for_update()
        ).scalars()
    )
    if not locked:
        return []
    gone = session.execute(
        sa.update(Media)
        .where(
            col(Media.id).in_(locked),
            col(Media.deleted_at).is_(None),
            sa.not_(attached_anywhere(col(Media.id))),
        )
        .values(deleted_at=utcnow())
        .returning(col(Media.id), col(Media.owner_id), col(Media.bytes)),
        execution_options=NO_SYNC,
    ).all()
    freed: dict[int, int] = defaultdict(int)
    for _, owner_id, size in gone:
        freed[owner_id] += size
    usage = col(MediaUsage.bytes)
    for owner_id, size in sorted(freed.items()):
        session.execute(
            sa.update(MediaUsage)
            .where(col(MediaUsage.member_id) == owner_id)
            .values(bytes=sa.case((usage > size, usage - size), else_=0)),
            execution_options=NO_SYNC,
        )
    return sorted(media_id for media_id, _, _ in gone)
