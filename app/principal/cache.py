"""Who a Bearer token belonged to a moment ago: the token lookup, remembered.

Every authenticated request resolves its token to an active member (a join of the token,
or the log-in, with the member): a large share of a quick read's CPU (bench/ANALYSIS.md),
and a hop to a worker thread. The answer changes rarely, so each process remembers it,
never past the token's own expiry. A hit costs no query and no thread: the remembered
member is copied into the request's Session (`Session.merge(load=False)`), so handlers see
an entity of their own transaction exactly as after a lookup. A member's points are not
remembered (what every vote, comment and work changes: app.principal.changes.UNREMEMBERED):
that Session reads them when they are used.

What a process changes itself it forgets at once: a service that changes a member's role,
activity, profile or watermark, a token or a log-in says so on its Session
(app.principal.changes.principals_changed), and once that transaction has committed the
unit of work tells this cache (`watch`), which forgets those members' tokens (or every
token). What other processes change it hears by reading `principal_changes` about once a
second (app.principal.polling; with Redis, within milliseconds too: app.principal.broadcast).
While those reads succeed (`heard`) it remembers a lookup for
`SANGGAR_AUTH_CACHE_SHARED_SECONDS` (default 300); else (`deaf`: no reads, a failed read,
or none for a few seconds) it forgets everything and remembers for
`SANGGAR_AUTH_CACHE_SECONDS` (default 10; 0 turns the cache off), the delay after which
another process's revocation is seen then.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from app.core.clock import utcnow
from app.core.db import listen_after_commit
from app.models import Member
from app.principal import changes

if TYPE_CHECKING:
    from app.principal.tokens import ResolvedToken

# Enough for every member active in a few seconds; past it the cache starts over.
MAX_ENTRIES = 10_000


# A personal access token answered from memory notes its use this often (app.principal.usage;
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
        # The lifetime while every other process's changes are heard (app.principal.polling).
        self.shared_seconds = seconds if shared_seconds is None else shared_seconds
        self.hearing = False
        # While hearing: the time.monotonic() past which no read has vouched for what is
        # remembered (app.principal.polling), and everything is forgotten; else infinite.
        self._vouched_until = math.inf
        # Told what a commit here changed, once it is committed (app.principal.broadcast).
        self.announce: Callable[[bool | set[int]], None] | None = None
        self._entries: dict[str, Remembered] = {}
        # A member's tokens: most members have one, kept as a plain string (a set per entry
        # would weigh 216 bytes of the 2.5 KB an entry costs).
        self._tokens_of: dict[int, str | set[str]] = {}
        # Lookups remember from worker threads while commits forget: one at a time (reads
        # need no lock, a dict lookup is atomic).
        self._lock = threading.Lock()
        # Moves on at every clear(): a lookup that began before a change committed must
        # not remember what it read (`remember(since=…)`).
        self.generation = 0

    def get(self, token: str) -> Remembered | None:
        found = self._entries.get(token)
        if found is None:
            return None
        now = time.monotonic()
        if found.deadline <= now:
            return None
        if now > self._vouched_until:  # the reads of other processes' changes stopped
            self.deaf(unless_vouched_at=now)
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
            self._note_token_of(member.id, token)  # type: ignore[arg-type]

    def _note_token_of(self, member_id: int, token: str) -> None:
        known = self._tokens_of.get(member_id)
        if known is None or known == token:
            self._tokens_of[member_id] = token
        elif isinstance(known, str):
            self._tokens_of[member_id] = {known, token}
        else:
            known.add(token)

    def lifetime(self) -> float:
        if self.seconds <= 0:  # off
            return 0
        return self.shared_seconds if self.hearing else self.seconds

    def heard(self, began: float, *, until: float) -> None:
        """A read of every other process's changes that began at `began` (time.monotonic())
        succeeded and they are forgotten: remember for the shared lifetime until `until`.
        After a time unheard (or none vouched up to `began`), what is remembered is
        forgotten first: changes made meanwhile may not have been read."""
        with self._lock:
            if not self.hearing or began > self._vouched_until:
                self._forget_everyone()
            self.hearing = True
            self._vouched_until = until

    def deaf(self, *, unless_vouched_at: float | None = None) -> None:
        """Other processes' changes are not heard now: forget everything (it may have been
        remembered for the shared lifetime) and remember briefly. `unless_vouched_at`: not
        if a read vouched for that moment meanwhile."""
        with self._lock:
            if unless_vouched_at is not None and unless_vouched_at <= self._vouched_until:
                return
            self._forget_everyone()
            self.hearing = False
            self._vouched_until = math.inf

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
                tokens = self._tokens_of.pop(member_id, ())
                for token in (tokens,) if isinstance(tokens, str) else tokens:
                    self._entries.pop(token, None)

    def _forget_everyone(self) -> None:
        self.generation += 1
        self._entries.clear()
        self._tokens_of.clear()

    def watch(self, engine: Engine) -> None:
        """Forget what each committed transaction on `engine` (or on an engine made from
        it) said it changed (app.principal.changes), and tell the other processes.

        Told after the database has committed: a lookup that begins later reads the new
        rows, and one that read the old rows before remembers nothing (`since`)."""
        listen_after_commit(engine, changes.TOPIC, self._committed)

    def _committed(self, items: frozenset[Hashable]) -> None:
        changed: bool | set[int] = (
            True if changes.EVERYONE in items else {m for m in items if isinstance(m, int)}
        )
        self.forget(changed)
        if changed and self.announce is not None:
            self.announce(changed)
