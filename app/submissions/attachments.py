"""A work's uploaded files (`submission_media`): setting them in order, reading them for a
page of works in one query, and letting them go when the work goes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col

from app.media import attachments
from app.media.presenters import media_out
from app.media.schemas import MediaOut
from app.models import Media, SubmissionMedia

# Built once: it runs for every page of works.
_MEDIA_OF_WORKS = (
    sa.select(col(SubmissionMedia.submission_id), Media)
    .join(Media, col(Media.id) == col(SubmissionMedia.media_id))
    .where(
        col(SubmissionMedia.submission_id).in_(sa.bindparam("submission_ids", expanding=True)),
        col(Media.deleted_at).is_(None),
    )
    .order_by(col(SubmissionMedia.submission_id), col(SubmissionMedia.position))
)


def media_of(session: Session, submission_ids: Sequence[int]) -> dict[int, list[MediaOut]]:
    """The files of many works, each in the author's order, in one query."""
    shown: dict[int, list[MediaOut]] = defaultdict(list)
    if not submission_ids:
        return shown
    rows = session.execute(_MEDIA_OF_WORKS, {"submission_ids": sorted(set(submission_ids))})
    for submission_id, media in rows:
        shown[submission_id].append(media_out(media))
    return shown


def replace(session: Session, *, submission_id: int, author_id: int, media_ids: list[int]) -> None:
    """The work's files become these, in this order (the author's own uploads only)."""
    attachments.attach(session, owner_id=author_id, media_ids=media_ids, field="media_ids")
    session.execute(
        sa.delete(SubmissionMedia).where(col(SubmissionMedia.submission_id) == submission_id)
    )
    if media_ids:
        session.execute(
            sa.insert(SubmissionMedia),
            [
                {"submission_id": submission_id, "position": position, "media_id": media_id}
                for position, media_id in enumerate(media_ids)
            ],
        )


def detach(session: Session, *, submission_ids: Sequence[int]) -> list[int]:
    """Removes these works' files from them; returns the media ids they had."""
    if not submission_ids:
        return []
    removed = session.execute(
        sa.delete(SubmissionMedia)
        .where(col(SubmissionMedia.submission_id).in_(submission_ids))
        .returning(col(SubmissionMedia.media_id))
    )
    return sorted(set(removed.scalars()))


def attached_to(session: Session, *, media_id: int) -> list[int]:
    """The works that show this media (usually one)."""
    return list(
        session.execute(
            sa.select(col(SubmissionMedia.submission_id))
            .where(col(SubmissionMedia.media_id) == media_id)
            .order_by(col(SubmissionMedia.submission_id))
        ).scalars()
    )


def withdraw_media(session: Session, *, submission_ids: Sequence[int]) -> list[int]:
    """Before works are deleted: their files come off them, and those attached nowhere else
    are tombstoned (their bytes leave the owners' quota; the janitor removes them)."""
    return attachments.release(session, detach(session, submission_ids=submission_ids))
