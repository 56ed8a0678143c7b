"""Every process hears every other's changes to who a token is: `principal_changes`, read
about once a second.

A transaction that changes a member's rights, a token or a log-in writes one row per member
(or one for everyone) to `principal_changes` before it commits (app.principal.changes),
whichever process runs it: an app process, with or without Redis, or a `sanggar` command. A
thread of every app process reads the rows of the last seconds and makes its token cache
forget those members (app.principal.cache). While its reads succeed the cache may remember
a lookup for `SANGGAR_AUTH_CACHE_SHARED_SECONDS`: another process's revocation reaches it
within about a second. When a read fails, or none has succeeded for `VOUCHED_SECONDS`, the
cache forgets everything and falls back to `SANGGAR_AUTH_CACHE_SECONDS` until a read
succeeds again. (With Redis, the broadcast makes the same changes heard within
milliseconds; this read is still what lets a process remember for long, since a writer
that publishes nothing, a command, is heard only here.)

Commits do not arrive in id order: on PostgreSQL a transaction that took id 8 may commit
after one that took id 9. So each read takes every row stamped since a while before the
previous read began (`MARGIN_SECONDS`: the time between a row's stamp, just before its
commit, and the commit, and the clocks of the processes' machines apart), and skips the
changes it has already applied. A process reads its own changes too and forgets them again
(harmless: it forgot them at its commit). Rows older than `KEEP_SECONDS` are deleted by a
periodic job: the table holds minutes of changes, and each read is a range of its index.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core import periodic
from app.core.clock import utcnow
from app.models import PrincipalChange
from app.principal.cache import PrincipalCache

log = structlog.get_logger("sanggar.principal")

POLL_SECONDS = 1.0
# A read vouches for the cache this long after it began: a thread that stops reading
# (stuck, or the process suspended) cannot leave lookups remembered for minutes.
VOUCHED_SECONDS = 5.0
MARGIN_SECONDS = 10.0
KEEP_SECONDS = 120.0

_CHANGES = cast(sa.Table, PrincipalChange.__table__)  # type: ignore[attr-defined]
# Built once: the changes stamped since a moment (an index range of created_at).
_READ = sa.select(_CHANGES.c.id, _CHANGES.c.member_id, _CHANGES.c.created_at).where(
    _CHANGES.c.created_at >= sa.bindparam("since", type_=_CHANGES.c.created_at.type)
)
_PRUNE = _CHANGES.delete().where(
    _CHANGES.c.created_at < sa.bindparam("before", type_=_CHANGES.c.created_at.type)
)


class PrincipalChangesPoll:
    """Reads `principal_changes` for one cache: `poll()` once, or `start()` a thread that
    polls every `POLL_SECONDS` until `stop()`."""

    def __init__(self, cache: PrincipalCache, engine: Engine) -> None:
        self.cache = cache
        self.engine = engine  # a read-only engine (app.core.db.read_only): reads, no lock
        # The changes applied (id and stamp: an id can come back after a restore of the
        # database), skipped when read again.
        self._applied: set[tuple[int, datetime]] = set()
        # When the last successful read began (utcnow), or None: not heard, nothing applied.
        self._last_read: datetime | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def poll(self) -> None:
        """One read: forgets what changed since the last, then vouches for the cache.
        Raises what the read raised, after making the cache deaf."""
        began, began_at = time.monotonic(), utcnow()
        since = (self._last_read or began_at) - timedelta(seconds=MARGIN_SECONDS)
        try:
            with self.engine.connect() as connection:
                rows = connection.execute(_READ, {"since": since}).all()
        except Exception:
            self._last_read = None
            self.cache.deaf()
            raise
        fresh = [row for row in rows if (row.id, row.created_at) not in self._applied]
        if self._last_read is not None:  # else the cache forgets everything: heard() below
            self.cache.forget(_changed(fresh))
        self._applied = {(id_, at) for id_, at in self._applied if at >= since}
        self._applied.update((row.id, row.created_at) for row in fresh)
        self._last_read = began_at
        self.cache.heard(began, until=began + VOUCHED_SECONDS)

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="principal-changes", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:  # a read stuck on the database does not hold up shutdown
            self._thread.join(timeout=VOUCHED_SECONDS)
        self.cache.deaf()

    def _run(self) -> None:
        while True:
            self._poll_logged()
            if self._stopping.wait(POLL_SECONDS):
                return

    def _poll_logged(self) -> None:
        """A failure logged once, not every second, until a read succeeds again."""
        try:
            self.poll()
        except Exception:
            if not self._failing:
                log.warning("principal_changes_unread", exc_info=True)
            self._failing = True
            return
        if self._failing:
            log.info("principal_changes_read_again")
        self._failing = False


def _changed(rows: list[sa.Row[Any, *tuple[Any, ...]]]) -> bool | set[int]:
    """What the cache forgets for these rows: everyone (True), these members, or nobody."""
    members: set[int] = set()
    for row in rows:
        if row.member_id is None:
            return True
        members.add(row.member_id)
    return members


@periodic.job("principal-changes-prune", every=lambda _settings: KEEP_SECONDS / 2)
def prune(session: Session) -> None:
    """Deletes the changes every process has read long since."""
    before = utcnow() - timedelta(seconds=KEEP_SECONDS)
    session.connection().execute(_PRUNE, {"before": before})
