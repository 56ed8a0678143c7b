"""A notification's mail, sent with the statement that writes the notification
(`notifications.send_along`): the member wants that kind by mail (their setting, else the
default), is active, and the mail is written in the notification's transaction.

PostgreSQL: one statement writes the notification, reads its member and writes their mail
(`outbox.written_for`): a comment on a work is added to the member's mail about that work
still waiting unclaimed, up to `outbox.GATHER_LIMIT` items, else a new message with its
event and delivery. Its words are rendered beforehand in every language (the English ones
are the notification's own); the member's `locale` picks theirs in SQL.

SQLite (no INSERT inside WITH): the INSERT returns the member's row (scalar subqueries in
RETURNING), then one UPDATE adds to the waiting mail (`outbox.fold`), else three INSERTs
write a new one (`outbox.write`). Finding the waiting mail in RETURNING too would save the
UPDATE that misses, but SQLite ran that INSERT about three times slower than the two
statements (measured: 180 µs against 15 + 13 on the bench's database).
"""

from __future__ import annotations

from functools import cache, partial
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import ScalarSelect
from sqlmodel import Session

from app.i18n import LOCALES, Locale
from app.mail import bulk, kinds, outbox
from app.models import MailSettings, Member
from app.notifications import service as notifications
from app.notifications import texts

POSTGRESQL = "postgresql"


def along_of(notification: notifications.Written, dialect: str) -> notifications.Along | None:
    """What is sent with a notification of a kind that can be mailed."""
    kind = notification.type
    if kind not in kinds.EMAIL_DEFAULTS:
        return None
    key = _gather_key(notification)
    parameters: dict[str, Any] = {"member": notification.member_id, "mail_messages_gather_key": key}
    if dialect != POSTGRESQL:
        return notifications.Along(_read_with(), parameters)
    gathers = key is not None
    words = {locale: _words(notification, locale, gathers=gathers) for locale in LOCALES}
    parameters |= outbox.new_mail_values("notification", key) | {
        "mail_messages_unsubscribe_kind": kind,
        "mail_default": kinds.EMAIL_DEFAULTS[kind],
        "mail_default_locale": outbox.default_locale(),
        "mail_words": words,
        "gather_limit": outbox.GATHER_LIMIT,
    }
    return notifications.Along(_written_with(gathers), parameters)


def mail_notification(session: Session, notification: notifications.Written) -> None:
    """SQLite: the mail of a notification whose member came with its INSERT (on PostgreSQL
    that statement wrote it)."""
    along, row = notification.along, notification.row
    if along is None or session.get_bind().dialect.name == POSTGRESQL:
        return
    assert row is not None  # the INSERT's
    if row.id is None or not bulk.wants(row, notification.type):  # no active member, or
        return  # not this kind by mail
    key = along.parameters["mail_messages_gather_key"]
    words = partial(_words, notification, gathers=key is not None)
    message = bulk.message(row, kind=notification.type, context=words)
    if key is None or not outbox.fold(session, message["context"]["gathered"][0], key=key):
        outbox.write(session, message, gather_key=key)


def _gather_key(notification: notifications.Written) -> str | None:
    """The key a mail of a kind that gathers (`kinds.GATHERED`) is found by: its kind, its
    member and what it is about (the work)."""
    kind = notification.type
    about = kinds.GATHERED.get(kind)
    if about is None or about not in notification.data:
        return None
    return f"{kind}:{notification.member_id}:{about}:{notification.data[about]}"


def _words(notification: notifications.Written, locale: str, *, gathers: bool) -> dict[str, Any]:
    """The mail's words in `locale`; what a gathered mail tells is a list of them."""
    kind = notification.type
    if locale == Locale.EN:  # the notification's stored title and body are the English ones
        title, body = notification.title, notification.body
    else:
        title, body = texts.shown(notification, locale)
    words: dict[str, Any] = {"kind": kind, "title": title, "body": body}
    if kind in kinds.GATHERED:  # a gathered mail's subject names the work
        words["work"] = str((notification.texts.get("values") or {}).get("work", ""))
    if gathers:
        words["gathered"] = [{"title": title, "body": body}]
    return words


_MEMBERS = cast(sa.Table, Member.__table__)  # type: ignore[attr-defined]
_SETTINGS = cast(sa.Table, MailSettings.__table__)  # type: ignore[attr-defined]


class _Qualified(ScalarSelect[Any]):
    """A scalar subquery whose columns name their table inside RETURNING too: SQLAlchemy
    writes RETURNING's columns without it (SQLite's RETURNING takes only the inserted
    table's), and the subqueries inside would inherit that (`id` of which table?)."""

    inherit_cache = True


@compiles(_Qualified)
def _with_tables(element: _Qualified, compiler: SQLCompiler, **kw: Any) -> str:
    kw.pop("include_table", None)
    return compiler.visit_grouping(element, **kw)  # type: ignore[no-any-return,no-untyped-call]


@cache
def _read_with() -> sa.Insert:
    """SQLite: the notification's INSERT returning its member's row (`bulk.RECIPIENT`, a
    column each: None when no active member)."""
    columns = [
        _Qualified(bulk.RECIPIENT.with_only_columns(column)).label(column.name)
        for column in bulk.RECIPIENT.selected_columns
    ]
    return notifications.WRITE.returning(*columns)


@cache
def _written_with(gathers: bool) -> sa.Select[Any]:
    """PostgreSQL: the notification's INSERT, its member when active and wanting the kind
    by mail, and their mail (`outbox.written_for`), in one statement."""
    from sqlalchemy.dialects.postgresql import JSONB

    known = _MEMBERS.c.locale.in_([sa.literal_column(f"'{locale}'") for locale in LOCALES])
    default = sa.bindparam("mail_default_locale", type_=sa.String)
    language = sa.case((known, _MEMBERS.c.locale), else_=default)
    words = sa.bindparam("mail_words", type_=JSONB).op("->")(language)
    choice = sa.cast(_SETTINGS.c.email, JSONB).op("->")(
        sa.bindparam("mail_messages_unsubscribe_kind", type_=sa.String)
    )
    wants = sa.func.coalesce(choice, sa.bindparam("mail_default", type_=JSONB)).op("=")(
        sa.literal_column("'true'::jsonb")
    )
    recipient = (
        sa.select(
            _MEMBERS.c.id,
            _MEMBERS.c.email,
            language.label("locale"),
            _MEMBERS.c.display_name,
            _MEMBERS.c.handle,
            sa.type_coerce(words, JSONB).label("words"),
        )
        .outerjoin(_SETTINGS, _SETTINGS.c.member_id == _MEMBERS.c.id)
        .where(
            _MEMBERS.c.id == sa.bindparam("member", type_=sa.Integer),
            _MEMBERS.c.is_active.is_(True),
            wants,
        )
        .cte("recipient")
    )
    statement = outbox.written_for(recipient, gathers=gathers)
    return statement.add_cte(notifications.WRITE.cte("written"))
