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
  the caller's transaction, by the rule `DELETE /media/{id}` uses (`service.tombstone`);
  the janitor then removes their bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlmodel import Session, col

from app.core.clock import utcnow
from app.core.db import NO_SYNC
from app.core.errors import Unprocessable
from app.i18n import N_
from app.media import service
from app.models import Media, MediaKind, MediaStatus

IMAGES = frozenset({MediaKind.IMAGE})
ANY_KIND = frozenset(MediaKind)


class MediaUnavailable(Unprocessable):
    """An id given to attach is not one of the caller's usable uploads."""

    code = "media_unavailable"


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
                N_(
                    "Media {media_id} is not one of your uploads, or it was deleted or "
                    "could not be processed; upload the file again."
                ),
                values={"media_id": media_id},
                loc=loc,
            )
        if found[media_id] not in kinds:
            allowed = " or ".join(sorted(kinds))
            raise MediaUnavailable(
                N_("Media {media_id} is {kind}; {field} takes {allowed}."),
                values={
                    "media_id": media_id,
                    "kind": found[media_id],
                    "field": field,
                    "allowed": allowed,
                },
                loc=loc,
            )
    session.execute(
        sa.update(Media)
        .where(col(Media.id).in_(wanted), col(Media.attached_at).is_(None))
        .values(attached_at=utcnow()),
        execution_options=NO_SYNC,
    )


def release(session: Session, media_ids: Iterable[int]) -> list[int]:
    """Tombstones those of these uploads attached nowhere now (call it after removing the
    attachments), giving their bytes back to their owners' usage; returns the ids
    tombstoned. Each goes through `service.tombstone`, the rule `DELETE /media/{id}` uses:
    the row locked, then its references read by the next statement."""
    return [
        media_id
        for media_id in sorted(set(media_ids))
        if service.tombstone(session, media_id=media_id)
    ]
