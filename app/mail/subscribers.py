"""Mail on the webhook machinery, and the mails that events and notifications cause.

- the transport the webhook dispatcher uses for a mail's delivery: render, then send;
- the welcome mail of a new member;
- a notification of a kind the member wants by mail (`mail_settings`) becomes a mail, in
  the transaction that wrote the notification, in the member's language; one written to
  many members at once (`notify_members`) becomes their mails in batches.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.core.config import Settings, get_settings
from app.core.domain_events import (
    EmailChanged,
    EmailChangeRequested,
    EmailVerificationRequested,
    MemberJoined,
    PasswordChanged,
    PasswordResetRequested,
    subscribe,
)
from app.i18n import LOCALES
from app.mail import along, bulk, kinds, outbox, render, transport
from app.models import Member
from app.notifications import service as notifications
from app.notifications import texts
from app.webhooks import dispatcher, sender


def send(mail: dispatcher.MailTarget, settings: Settings) -> sender.Outcome:
    """Renders the claimed mail and hands it over (in a worker thread, no database)."""
    message = render.build(
        message_id=mail.message_id,
        member_id=mail.member_id,
        recipient=mail.recipient,
        template=mail.template,
        locale=mail.locale,
        unsubscribe_kind=mail.unsubscribe_kind,
        context=mail.context,
        settings=settings,
    )
    sent = transport.send(message, settings)
    return sender.Outcome(sent.code, sent.duration_ms, sent.error, sent.reply)


dispatcher.use_mail_transport(send)


@subscribe(MemberJoined)
def welcome(session: Session, event: MemberJoined) -> None:
    member = session.get(Member, event.member_id)
    if member is not None:
        outbox.to_member(session, member, template="welcome", context={})


# How long a password-reset token lasts, told in the mail (SANGGAR_PASSWORD_RESET_MINUTES,
# when the accounts feature defines it).
RESET_MINUTES_DEFAULT = 30


@subscribe(PasswordResetRequested)
def password_reset(session: Session, event: PasswordResetRequested) -> None:
    member = session.get(Member, event.member_id)
    if member is None:
        return
    minutes = getattr(get_settings(), "password_reset_minutes", RESET_MINUTES_DEFAULT)
    context = {
        "token": event.token,
        "minutes": minutes,
        "requested_by_admin": event.requested_by_admin,
    }
    outbox.to_member(session, member, template="password_reset", context=context)


@subscribe(EmailVerificationRequested)
def email_verification(session: Session, event: EmailVerificationRequested) -> None:
    member = session.get(Member, event.member_id)
    if member is not None:
        outbox.to_member(
            session, member, template="email_verification", context={"token": event.token}
        )


@subscribe(EmailChangeRequested)
def email_change(session: Session, event: EmailChangeRequested) -> None:
    """The token goes to the new address, which is not the member's yet."""
    member = session.get(Member, event.member_id)
    if member is None or not member.is_active:
        return
    outbox.enqueue(
        session,
        recipient=event.new_email,
        template="email_change",
        locale=outbox.locale_of(member),
        context={
            "display_name": member.display_name,
            "new_email": event.new_email,
            "token": event.token,
        },
        member_id=member.id,
    )


@subscribe(EmailChanged)
def email_changed(session: Session, event: EmailChanged) -> None:
    """The old address is told of the change (whoever made it)."""
    member = session.get(Member, event.member_id)
    if member is None or not member.is_active:
        return
    outbox.enqueue(
        session,
        recipient=event.old_email,
        template="email_changed",
        locale=outbox.locale_of(member),
        context={"display_name": member.display_name, "old_email": event.old_email},
        member_id=member.id,
    )


@subscribe(PasswordChanged)
def password_changed(session: Session, event: PasswordChanged) -> None:
    member = session.get(Member, event.member_id)
    if member is not None:
        outbox.to_member(session, member, template="password_changed", context={})


def mail_notifications(
    session: Session, recipients: sa.ColumnElement[bool], kind: str, words: dict[str, Any]
) -> None:
    """The mails of a notification written to many members in one statement."""
    if kind not in kinds.EMAIL_DEFAULTS:
        return
    rendered = {locale: texts.render(words, locale) for locale in LOCALES}

    def context(locale: str) -> dict[str, Any]:
        title, body = rendered[locale]
        return {"kind": kind, "title": title, "body": body}

    bulk.to_members(session, recipients, kind=kind, context=context)


notifications.send_along(along.along_of)
notifications.on_written(along.mail_notification)
notifications.on_written_many(mail_notifications)
