"""A work's uploaded files (`submission_media`): setting them in order, reading them for a
page of works in one query, and letting them go when the work goes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from app.media import attachments
from app.media.presenters import media_out
from app.media.schemas import MediaOut
from app.models import Media, Submission, SubmissionMedia
from app.readmodels import ReadStatement

# Built once, in Core (rows, no entities): it runs for every work and page of works shown.
_FILES = cast(sa.Table, Media.__table__)  # type: ignore[attr-defined]
_ATTACHED = cast(sa.Table, SubmissionMedia.__table__)  # type: ignore[attr-defined]
_MEDIA_OF_WORKS = ReadStatement(
    sa.select(_ATTACHED.c.submission_id.label("work_id"), *_FILES.c)
    .join(_FILES, _FILES.c.id == _ATTACHED.c.media_id)
    .where(
        _ATTACHED.c.submission_id.in_(sa.bindparam("submission_ids", expanding=True)),
        _FILES.c.deleted_at.is_(None),
    )
    .order_by(_ATTACHED.c.submission_id, _ATTACHED.c.position)
)


# Whether a work has files at all, a column beside it: most have none, and need no second read.
_WORKS = cast(sa.Table, Submission.__table__)  # type: ignore[attr-defined]
HAS_FILES = sa.exists().where(_ATTACHED.c.submission_id == _WORKS.c.id).label("has_files")


def media_of(session: Session, submission_ids: Sequence[int]) -> dict[int, list[MediaOut]]:
    """The files of many works, each in the author's order, in one query (what the
    Session has yet to write, written first)."""
    session.flush()
    return files_of(session.connection(), submission_ids)


def files_of(connection: Connection, submission_ids: Sequence[int]) -> dict[int, list[MediaOut]]:
    """`media_of` on a connection, for a read model (app.submissions.reads)."""
    shown: dict[int, list[MediaOut]] = defaultdict(list)
    if not submission_ids:
        return shown
    rows = _MEDIA_OF_WORKS.rows(connection, {"submission_ids": sorted(set(submission_ids))})
    for row in rows:
        shown[row.work_id].append(media_out(row))
    return shown


def replace(
    session: Session,
    *,
    submission_id: int,
    author_id: int,
    media_ids: list[int],
    fresh: bool = False,
) -> None:
    """The work's files become these, in this order (the author's own uploads only); a
    `fresh` work, just inserted, has none to take off first."""
    attachments.attach(session, owner_id=author_id, media_ids=media_ids, field="media_ids")
    if not fresh:
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
