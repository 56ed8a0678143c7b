"""Leaving: the account is deactivated and its personal data erased at once.

The member's row stays as a tombstone (other rows refer to it: kept works, threads, votes)
with every personal field replaced; what only the member had (log-ins, tokens,
notifications, tags, mail settings, inquiries) is deleted. Works stay credited to a
"former member" unless the member asks to remove them. Updates go through the ORM session,
so the search index (app.search's session hooks) drops the member's document in the same
transaction."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.accounts.exceptions import LastAdmin, WrongPassword
from app.core import domain_events
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.security import hash_password, new_secret, verify_password
from app.media import service as media
from app.models import (
    AccountToken,
    AuthSession,
    CalendarFeedToken,
    Comment,
    Idea,
    Inquiry,
    LoginAttempt,
    MailDigest,
    MailMessage,
    MailSettings,
    Media,
    Member,
    MemberTag,
    MentorProfile,
    Notification,
    PersonalAccessToken,
    Post,
    Role,
    Submission,
    WebhookEvent,
)
from app.principal.changes import principals_changed

FORMER_MEMBER = "Former member"


def erase_member(
    session: Session, settings: Settings, *, member: Member, password: str, delete_works: bool
) -> None:
    valid, _ = verify_password(settings, password, member.password_hash)
    if not valid:
        raise WrongPassword("The password is wrong.")
    member_id: int = member.id  # type: ignore[assignment]
    if member.role == Role.ADMIN:
        other_admins = session.exec(
            select(Member.id).where(
                Member.role == Role.ADMIN, col(Member.is_active).is_(True), Member.id != member_id
            )
        ).first()
        if other_admins is None:
            raise LastAdmin("The last admin cannot leave; make another member admin first.")
    if delete_works:
        _remove_works(session, member_id=member_id)
    old_email = member.email
    _scrub_mentions(session, member_id=member_id, names=[member.display_name, member.handle])
    _scrub_payloads(session, member=member)
    for model, column in (
        (AuthSession, AuthSession.member_id),
        (PersonalAccessToken, PersonalAccessToken.member_id),
        (AccountToken, AccountToken.member_id),
        (CalendarFeedToken, CalendarFeedToken.member_id),
        (Notification, Notification.member_id),
        (MemberTag, MemberTag.member_id),
        (MentorProfile, MentorProfile.member_id),
        (MailSettings, MailSettings.member_id),
        (MailDigest, MailDigest.member_id),
        (Inquiry, Inquiry.member_id),
        (Inquiry, Inquiry.sender_id),
    ):
        session.execute(sa.delete(model).where(col(column) == member_id))
    session.execute(
        sa.delete(MailMessage).where(
            sa.or_(col(MailMessage.member_id) == member_id, col(MailMessage.recipient) == old_email)
        )
    )
    session.execute(
        sa.delete(LoginAttempt).where(col(LoginAttempt.account) == f"member:{member_id}")
    )
    session.execute(
        sa.update(Member)
        .where(col(Member.id) == member_id)
        .values(
            email=f"erased-{member_id}@erased.invalid",
            handle=f"former-{member_id}",
            handle_key=f"former-{member_id}",
            display_name=FORMER_MEMBER,
            # The hash of a random secret nobody has: no password verifies against it.
            password_hash=hash_password(settings, new_secret()),
            bio="",
            city=None,
            city_key=None,
            links=[],
            avatar_url=None,
            avatar_media_id=None,
            role=Role.MEMBER.value,
            is_active=False,
            open_for_commissions=False,
            email_verified_at=None,
            locale=None,
        )
    )
    # The files only the member had (the avatar, unattached uploads; with `delete_works`
    # the works' files too): what kept works still show is referenced and stays.
    owned = session.scalars(
        sa.select(col(Media.id)).where(
            col(Media.owner_id) == member_id, col(Media.deleted_at).is_(None)
        )
    ).all()
    for media_id in owned:
        if media_id is not None:
            media.tombstone(session, media_id=media_id)
    session.execute(sa.update(Media).where(col(Media.owner_id) == member_id).values(alt_text=None))
    session.expire(member)
    principals_changed(session, member_ids=[member_id])
    domain_events.publish(session, domain_events.MemberErased(member_id=member_id))


def _remove_works(session: Session, *, member_id: int) -> None:
    """Submissions, comments and ideas go; posts are emptied and marked deleted so that
    their threads keep their shape."""
    session.execute(sa.delete(Submission).where(col(Submission.member_id) == member_id))
    session.execute(sa.delete(Comment).where(col(Comment.author_id) == member_id))
    session.execute(sa.delete(Idea).where(col(Idea.author_id) == member_id))
    session.execute(
        sa.update(Post).where(col(Post.author_id) == member_id).values(body="", deleted_at=utcnow())
    )


def _replace_all(value: Any, names: list[str]) -> Any:
    if isinstance(value, str):
        for name in names:
            value = value.replace(name, FORMER_MEMBER)
        return value
    if isinstance(value, list):
        return [_replace_all(item, names) for item in value]
    if isinstance(value, dict):
        return {key: _replace_all(item, names) for key, item in value.items()}
    return value


def _scrub_mentions(session: Session, *, member_id: int, names: list[str]) -> None:
    """Other members' notifications, and mails not sent yet, that name the member (\"Sekar
    commented on your work\") name a former member instead."""
    names = sorted({n for n in names if n}, key=len, reverse=True)  # longest first
    if not names:
        return
    mentions = sa.or_(
        *(col(Notification.title).contains(n, autoescape=True) for n in names),
        *(col(Notification.body).contains(n, autoescape=True) for n in names),
    )
    for row in session.exec(
        select(Notification).where(col(Notification.member_id) != member_id, mentions)
    ).all():
        row.title = _replace_all(row.title, names)
        row.body = _replace_all(row.body, names)
        row.data = _replace_all(row.data, names)
        row.texts = _replace_all(row.texts, names)  # the values its words quote
        session.add(row)
    # The outbox keeps a context only until the mail is sent (app.mail): few rows to read.
    for message in session.exec(
        select(MailMessage).where(
            col(MailMessage.context).is_not(None), col(MailMessage.scrubbed_at).is_(None)
        )
    ).all():
        scrubbed = _replace_all(message.context, names)
        if scrubbed != message.context:
            message.context = scrubbed
            session.add(message)
    session.flush()


def _scrub_payloads(session: Session, *, member: Member) -> None:
    """Webhook payloads kept for their deliveries (`member.joined`, a work's author) lose the
    member's names and city. Found by the handle, which is ASCII and so reads the same in
    the JSON text on both databases."""
    values = [v for v in (member.display_name, member.handle, member.city) if v]
    values.sort(key=len, reverse=True)
    for row in session.exec(
        select(WebhookEvent).where(
            sa.cast(col(WebhookEvent.data), sa.Text).contains(member.handle, autoescape=True)
        )
    ).all():
        row.data = _replace_all(row.data, values)
        session.add(row)
    session.flush()
