"""How a service says that its transaction changes who a token is.

Each process remembers for seconds which member a Bearer token belongs to, with the
member's row as it was read (app.principal.cache). A service that changes what that lookup
reads calls `principals_changed` on its Session, in the same transaction: a member's role,
activity, profile or feed watermark (that member), a personal access token or a log-in
ended (the member it belonged to), or rows it cannot name (everyone). The unit of
work tells the cache once the transaction has committed (app.core.db.listen_after_commit),
and the cache tells the other processes (app.principal.broadcast); a rollback tells nobody.

What never needs it: a new member, token or log-in (nothing remembered it yet), the stamp
of a token's last use (app.principal.usage), which changes nobody's rights, and the
`UNREMEMBERED` columns of a member, which the lookup does not keep (app.principal.tokens).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from sqlmodel import Session

from app.core.db import tell_after_commit

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


def principals_changed(session: Session, *, member_ids: Iterable[int] | None = None) -> None:
    """After this transaction commits, forget the tokens of these members (None: of all)."""
    tell_after_commit(session, TOPIC, [EVERYONE] if member_ids is None else member_ids)
