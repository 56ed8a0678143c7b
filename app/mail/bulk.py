"""Mails to many members at once: those of a notification `notify_members` wrote to every
member matching a condition (an event's cancellation to everyone going, …).

The recipients are walked by member id in batches of `BATCH` (keyset), each batch one read
(the member, their language and their mail settings) and three INSERTs
(`outbox.enqueue_many`): memory stays that of one batch however many they are, and every
mail is written in the transaction of its cause.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session

from app.mail import kinds, outbox
from app.models import MailSettings, Member

BATCH = 500

# Active members with what their mail needs: address, names, language and mail settings.
# Of the tables, not the entities: a Core row costs less CPU than the ORM's result (on
# SQLite a comment's mail reads one, app/mail/along).
_MEMBERS = cast(sa.Table, Member.__table__)  # type: ignore[attr-defined]
_SETTINGS = cast(sa.Table, MailSettings.__table__)  # type: ignore[attr-defined]
_RECIPIENTS = (
    sa.select(
        _MEMBERS.c.id,
        _MEMBERS.c.email,
        _MEMBERS.c.display_name,
        _MEMBERS.c.handle,
        _MEMBERS.c.locale,
        _SETTINGS.c.email.label("mail_choices"),
    )
    .outerjoin(_SETTINGS, _SETTINGS.c.member_id == _MEMBERS.c.id)
    .where(_MEMBERS.c.is_active.is_(True))
)
RECIPIENT = _RECIPIENTS.where(_MEMBERS.c.id == sa.bindparam("member"))


def to_members(
    session: Session,
    recipients: sa.ColumnElement[bool],
    *,
    kind: str,
    context: Callable[[str], dict[str, Any]],
) -> int:
    """A `notification` mail of `kind` to every active member matching `recipients` who
    wants that kind by mail (their setting, else the default), in their language;
    `context(locale)` gives the words. Returns how many were written. The caller commits."""
    written, after = 0, 0
    while True:
        rows = session.execute(
            _RECIPIENTS.where(recipients, _MEMBERS.c.id > after)
            .order_by(_MEMBERS.c.id)
            .limit(BATCH)
        ).all()
        messages = [message(row, kind=kind, context=context) for row in rows if wants(row, kind)]
        written += outbox.enqueue_many(session, messages)
        if len(rows) < BATCH:
            return written
        after = rows[-1][0]


def wants(row: sa.Row[Any], kind: str) -> bool:
    """Whether the member wants `kind` by mail: their setting, else the default."""
    choices: dict[str, bool] | None = row.mail_choices
    return bool((choices or {}).get(kind, kinds.EMAIL_DEFAULTS[kind]))


def message(
    row: sa.Row[Any], *, kind: str, context: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    locale = outbox.language(row.locale)
    return {
        "member_id": row.id,
        "recipient": row.email,
        "template": "notification",
        "locale": locale,
        "unsubscribe_kind": kind,
        "context": {"display_name": row.display_name, "handle": row.handle, **context(locale)},
    }
