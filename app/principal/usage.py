"""When each personal access token was last used: noted in memory, written in batches.

A token's `last_used_at` answers "when did this integration last call us", to the minute
(`app.principal.tokens.LAST_USED_PRECISION`). Stamped by the request that used the token, it made a
read a write: on SQLite a hop to a worker thread, the database's write lock and a commit
for the first call of every token in a minute, which cost a GET much of its throughput when
many integrations called at once (figures: bench/ANALYSIS.md). Each process notes the uses here
instead, with no query, and a periodic job writes them every `WRITE_EVERY_SECONDS` in one
statement; the app writes what is left when it shuts down. A stamp is therefore up to that
late, and a process that crashes loses its last seconds of them: nothing anybody wrote.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlmodel import Session

from app.core import periodic
from app.models import PersonalAccessToken
from app.principal.changes import PRINCIPALS_UNCHANGED

WRITE_EVERY_SECONDS = 10.0

_TOKENS = cast(sa.Table, PersonalAccessToken.__table__)  # type: ignore[attr-defined]
# Never moves a stamp back: another process may have written a later use already.
_STAMP = (
    sa.update(_TOKENS)
    .where(
        _TOKENS.c.id == sa.bindparam("token_id"),
        sa.or_(
            _TOKENS.c.last_used_at.is_(None),
            _TOKENS.c.last_used_at < sa.bindparam("used_at"),
        ),
    )
    .values(last_used_at=sa.bindparam("used_at"))
    # The stamp changes nobody's rights: it never calls app.principal.changes, so the
    # remembered principals stay (app.principal.cache); the option says so to the tests.
    .execution_options(**{PRINCIPALS_UNCHANGED: True})
)


class TokenUses:
    """The uses this process has seen and not written yet: the latest per token."""

    def __init__(self) -> None:
        self._pending: dict[int, datetime] = {}
        # Noted on the event loop and in worker threads, taken by the job's thread.
        self._lock = threading.Lock()

    def note(self, token_id: int, used_at: datetime) -> None:
        with self._lock:
            self._keep_latest(token_id, used_at)

    def write(self, session: Session) -> None:
        """Write the pending stamps in one statement and commit; if that fails they stay
        pending (the later of theirs and any noted meanwhile) for the next write."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return
        rows = [{"token_id": token_id, "used_at": at} for token_id, at in pending.items()]
        try:
            session.connection().execute(_STAMP, rows)
            session.commit()
        except BaseException:
            session.rollback()
            with self._lock:
                for token_id, at in pending.items():
                    self._keep_latest(token_id, at)
            raise

    def job(self) -> periodic.Job:
        return periodic.Job("token-uses", self.write, every=lambda _settings: WRITE_EVERY_SECONDS)

    def _keep_latest(self, token_id: int, used_at: datetime) -> None:
        noted = self._pending.get(token_id)
        if noted is None or noted < used_at:
            self._pending[token_id] = used_at
