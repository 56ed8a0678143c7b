"""Who a Bearer token belonged to a moment ago: the token lookup, remembered for seconds.

Every authenticated request resolves its token to an active member (a join of the token,
or the log-in, with the member): a fifth to a third of a quick read's CPU, and a hop to a
worker thread. The answer changes rarely, so each process remembers it for
`SANGGAR_AUTH_CACHE_SECONDS` (default 10; 0 turns the cache off), never past the token's
own expiry. A hit costs no query and no thread: the remembered member is copied into the
request's Session (`Session.merge(load=False)`), so handlers see an entity of their own
transaction exactly as after a lookup.

What a process changes itself it forgets at once: a committed transaction that updated or
deleted members, personal access tokens or log-ins (a role change, a deactivation, a
revoked token or log-in) empties this process's cache; one that changed only some members'
rows (points, the feed's watermark) forgets those members. Another process learns of it
within the cache's seconds: that is the delay after which a revoked token or a deactivated
member stops working everywhere (README, Security). With Redis, every process is told at
once (app.auth.broadcast), and while it hears the others it remembers for
`SANGGAR_AUTH_CACHE_SHARED_SECONDS` (default 300) instead.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.core.clock import utcnow
from app.models import Member

if TYPE_CHECKING:
    from app.auth.service import ResolvedToken

# A statement carrying this execution option does not change who a token is (the
# `last_used_at` stamp of a personal access token).
KEEPS_PRINCIPALS = "sanggar_keeps_principals"
# A statement that changes one member's row only (points, the feed's watermark) names them
# with this option, so that only that member's tokens are forgotten, not everyone's.
CHANGES_MEMBER = "sanggar_changes_member"
_CHANGES_PRINCIPALS = re.compile(
    r"\s*((UPDATE|DELETE\s+FROM)\s+|TRUNCATE\b.*)"
    r"\"?(members|personal_access_tokens|auth_sessions)\b",
    re.I | re.S,
)
_CHANGED = "sanggar_principals_changed"  # True: anyone's; a set: these members'

# Enough for every member active in a few seconds; past it the cache starts over.
MAX_ENTRIES = 10_000


# A personal access token answered from memory notes its use this often (app.auth.usage;
# `last_used_at` is kept to the minute).
NOTE_USE_EVERY_SECONDS = 60.0


@dataclass(slots=True)
class Remembered:
    member: Member  # detached, never attached to a Session: only read, by merge()
    scopes: frozenset[str]
    session_id: int | None
    token_id: int | None
    deadline: float  # time.monotonic()
    # When a hit should note the token's use again (time.monotonic(); set by hits, racily:
    # two requests noting the same use is harmless).
    note_use_at: float

    def use_to_note(self, now: float) -> int | None:
        """The personal access token's id if its use is due to be noted again, else None."""
        if self.token_id is None or now < self.note_use_at:
            return None
        self.note_use_at = now + NOTE_USE_EVERY_SECONDS
        return self.token_id


class PrincipalCache:
    def __init__(self, seconds: float, *, shared_seconds: float | None = None) -> None:
        self.seconds = seconds
        # The lifetime while every other process's changes are heard (app.auth.broadcast).
        self.shared_seconds = seconds if shared_seconds is None else shared_seconds
        self.hearing = False
        # Told what a commit here changed, once it is committed (app.auth.broadcast).
        self.announce: Callable[[bool | set[int]], None] | None = None
        self._entries: dict[str, Remembered] = {}
        self._tokens_of: dict[int, set[str]] = {}
        # Lookups remember from worker threads while commits forget: one at a time (reads
        # need no lock, a dict lookup is atomic).
        self._lock = threading.Lock()
        # Moves on at every clear(): a lookup that began before a change committed must
        # not remember what it read (`remember(since=…)`).
        self.generation = 0

    def get(self, token: str) -> Remembered | None:
        found = self._entries.get(token)
        if found is None or found.deadline <= time.monotonic():
            return None
        return found

    def remember(self, token: str, resolved: ResolvedToken, *, since: int) -> None:
        """Keep a lookup's answer, unless a change committed since the lookup began."""
        lifetime = self.lifetime()
        if resolved.expires_at is not None:
            lifetime = min(lifetime, (resolved.expires_at - utcnow()).total_seconds())
        if lifetime <= 0:
            return
        member = resolved.member
        remembered = Remembered(
            member,
            resolved.scopes,
            resolved.session_id,
            resolved.token_id,
            time.monotonic() + lifetime,
            # The lookup noted a use it found unstamped; else one was stamped within the minute.
            note_use_at=time.monotonic() + NOTE_USE_EVERY_SECONDS,
        )
        with self._lock:
            if since != self.generation:
                return
            if len(self._entries) >= MAX_ENTRIES:
                self._forget_everyone()
            self._entries[token] = remembered
            self._tokens_of.setdefault(member.id, set()).add(token)  # type: ignore[arg-type]

    def lifetime(self) -> float:
        if self.seconds <= 0:  # off
            return 0
        return self.shared_seconds if self.hearing else self.seconds

    def hears_others(self, hearing: bool) -> None:
        """Whether every other process's changes reach this one now. Either way what is
        remembered is forgotten: on losing them, entries kept for the longer lifetime; on
        hearing them again, what changed while they were not heard."""
        if not hearing:
            self.hearing = False
        self.clear()
        self.hearing = hearing

    def clear(self) -> None:
        self.forget(True)

    def forget(self, changed: bool | set[int]) -> None:
        """Forget everyone (True) or these members (their ids); nothing for False."""
        if not changed:
            return
        with self._lock:
            if changed is True:
                self._forget_everyone()
                return
            self.generation += 1
            for member_id in changed:
                for token in self._tokens_of.pop(member_id, ()):
                    self._entries.pop(token, None)

    def _forget_everyone(self) -> None:
        self.generation += 1
        self._entries.clear()
        self._tokens_of.clear()

    def watch(self, engine: Engine) -> None:
        """Forget what a transaction on `engine` (or on an engine made from it with
        `execution_options`: they share these events) changed: everyone when it updated or
        deleted members, tokens or log-ins, or only the members its statements named with
        `CHANGES_MEMBER`.

        Once as it commits and once more when its connection is back in the pool: the
        `commit` event comes before the database has committed, so a lookup in between
        could still read the old row; the second clear (and `since`) drops that too."""

        @event.listens_for(engine, "before_cursor_execute")
        def _note_change(
            connection: sa.Connection,
            _cursor: Any,
            statement: str,
            _parameters: Any,
            context: Any,
            _executemany: bool,
        ) -> None:
            options = context.execution_options
            if not _CHANGES_PRINCIPALS.match(statement) or options.get(KEEPS_PRINCIPALS, False):
                return
            changed = connection.info.get(_CHANGED, set())
            member_id = options.get(CHANGES_MEMBER)
            if member_id is None or changed is True:
                connection.info[_CHANGED] = True
            else:
                connection.info[_CHANGED] = changed | {member_id}

        @event.listens_for(engine, "commit")
        def _forget_on_commit(connection: sa.Connection) -> None:
            self.forget(connection.info.get(_CHANGED, False))

        @event.listens_for(engine, "checkin")
        def _forget_after_commit(_dbapi_connection: Any, record: Any) -> None:
            if record is None:
                return
            changed = record.info.pop(_CHANGED, False)
            self.forget(changed)
            if changed and self.announce is not None:
                self.announce(changed)  # now that every process would read the new rows
