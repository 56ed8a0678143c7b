"""Announcements: organizers speak to the whole community.

Posting one writes one row, whatever the number of members: members' feeds receive it on
their next notification read (app.notifications.service.catch_up), so an announcement to
100k members costs what an announcement to ten does.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.conversation import policies
from app.conversation.exceptions import AnnouncementNotFound
from app.conversation.schemas import AnnouncementCreate, AnnouncementPublic, AnnouncementUpdate
from app.core.clock import utcnow
from app.core.domain_events import AnnouncementPublished, publish
from app.core.pagination import PageParams, desc, paginate
from app.i18n import N_
from app.models import Announcement, Member
from app.problems.details import does_not_exist


def create_announcement(
    session: Session, *, author: Member, data: AnnouncementCreate
) -> Announcement:
    now = utcnow()
    announcement = Announcement(
        author_id=author.id, **data.model_dump(), created_at=now, updated_at=now
    )
    session.add(announcement)
    session.flush()
    assert announcement.id is not None  # flushed
    publish(
        session,
        AnnouncementPublished(
            actor_id=author.id,
            announcement_id=announcement.id,
            title=announcement.title,
            pinned=announcement.pinned,
        ),
    )
    return announcement


def get_announcement(session: Session, *, announcement_id: int, lock: bool = False) -> Announcement:
    statement = select(Announcement).where(Announcement.id == announcement_id)
    if lock:
        statement = statement.with_for_update(key_share=True).execution_options(
            populate_existing=True
        )
    announcement = session.exec(statement).first()
    if announcement is None:
        raise does_not_exist(AnnouncementNotFound, N_("Announcement"), announcement_id)
    return announcement


def update_announcement(
    session: Session, *, announcement: Announcement, changes: AnnouncementUpdate
) -> Announcement:
    """Corrections and (un)pinning; members who already have it in their feed keep the
    notification as it was sent."""
    sent = changes.model_dump(exclude_unset=True)
    for field, value in sent.items():
        setattr(announcement, field, value)
    if sent:
        announcement.updated_at = utcnow()
    session.add(announcement)
    session.flush()
    return announcement


def delete_announcement(session: Session, *, announcement: Announcement) -> None:
    """Deletes it, and its notifications with it (they reference it)."""
    session.execute(sa.delete(Announcement).where(col(Announcement.id) == announcement.id))
    session.expunge(announcement)


def list_announcements(
    session: Session, *, params: PageParams
) -> tuple[list[Announcement], str | None]:
    """Pinned first, then newest first."""
    keys = [desc(Announcement.pinned), desc(Announcement.id)]
    return paginate(session, select(Announcement), keys=keys, params=params)


def present_announcements(
    session: Session, announcements: Sequence[Announcement]
) -> list[AnnouncementPublic]:
    people = policies.authors(session, (a.author_id for a in announcements))
    return [
        AnnouncementPublic(
            id=a.id,  # type: ignore[arg-type]
            title=a.title,
            body=a.body,
            pinned=a.pinned,
            author=people.get(a.author_id) if a.author_id else None,
            created_at=a.created_at,
            updated_at=a.updated_at,
        )
        for a in announcements
    ]


def present_announcement(session: Session, announcement: Announcement) -> AnnouncementPublic:
    return present_announcements(session, [announcement])[0]
