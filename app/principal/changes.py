"""How a service says that its transaction changes who a token is.

Each process remembers for seconds which member a Bearer token belongs to, with the
member's row as it was read (app.principal.cache). A service that changes what that lookup
reads calls `principals_changed` on its Session, in the same transaction: a member's role,
activity, profile or feed watermark (that member), a personal access token or a log-in
ended (the member it belonged to), or rows it cannot name (everyone). The unit of
work tells the cache once the transaction has committed (app.core.db.listen_after_commit),
and the cache tells the other processes (app.principal.broadcast); a rollback tells nobody.
The transaction also writes what it changed to `principal_changes` (one row per member, or
one for everyone, just before it commits), which every process reads about once a second
(app.principal.polling): so a change reaches every process, with or without Redis, and
whichever process made it (a second app process, a `sanggar` command).

What never needs it: a new member, token or log-in (nothing remembered it yet), the stamp
of a token's last use (app.principal.usage), which changes nobody's rights, and the
`UNREMEMBERED` columns of a member, which the lookup does not keep (app.principal.tokens).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session

from app.core.clock import utcnow
from app.core.db import tell_after_commit
from app.models import PrincipalChange

TOPIC = "principals"
EVERYONE: Hashable = None  # noted instead of member ids: forget every token
# An execution option for a write to those rows that changes nobody's principal (the stamp
# of a token's last use, a member's points): it needs no note, and the tests' guard lets it pass
# (tests/principal_guard.py).
PRINCIPALS_UNCHANGED = "sanggar_principals_unchanged"
# A member's columns that ordinary writes change (every vote, comment or work moves its
# author's points): not remembered with the token, so those writes need no note and leave
# every remembered token in place; a request reads them fresh when it uses them.
UNREMEMBERED = frozenset({"points"})

_TO_WRITE = "sanggar_principal_changes"  # in Session.info: the member ids (or EVERYONE) noted
# Built once; executed with one parameter set per member (EVERYONE is a NULL member_id).
_WRITE = cast(sa.Table, PrincipalChange.__table__).insert()  # type: ignore[attr-defined]


def principals_changed(session: Session, *, member_ids: Iterable[int] | None = None) -> None:
    """After this transaction commits, forget the tokens of these members (None: of all)."""
    items = [EVERYONE] if member_ids is None else list(member_ids)
    tell_after_commit(session, TOPIC, items)
    session.info.setdefault(_TO_WRITE, set()).update(items)


@event.listens_for(OrmSession, "before_commit")
def _write_changes(session: OrmSession) -> None:
    """The rows the other processes read, in the transaction that made the change: they
    see it exactly when it is committed (and never if it is rolled back)."""
    if session.in_nested_transaction():  # a savepoint: written with the outer commit
        return
    noted: set[Hashable] | None = session.info.pop(_TO_WRITE, None)
    if not noted:
        return
    now = utcnow()
    members = [None] if EVERYONE in noted else sorted(cast(set[int], noted))
    rows = [{"member_id": member_id, "created_at": now} for member_id in members]
    session.connection().execute(_WRITE, rows)


def write_everyone_changed(connection: sa.Connection) -> None:
    """For a change made outside any Session, to every member (a restored database): every
    app process forgets every token it remembers at its next read of the changes."""
    connection.execute(_WRITE, [{"member_id": None, "created_at": utcnow()}])


@event.listens_for(OrmSession, "after_transaction_end")
def _drop_after_rollback(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost: a commit has written its rows already
        session.info.pop(_TO_WRITE, None)
