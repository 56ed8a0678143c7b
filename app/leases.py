"""Rows claimed by one process at a time, with a lease that lapses if the process dies.

Work that any app process may do (a webhook delivery to send, an upload to process) is
claimed in the database, so that exactly one process does it:

- claim: `WITH candidates AS (SELECT id … LIMIT n FOR UPDATE SKIP LOCKED) UPDATE t SET
  leased_until = now + lease, lease_token = :t WHERE id IN (SELECT id FROM candidates) AND
  <still claimable>`, committed at once. On PostgreSQL the subquery skips rows another
  process is claiming, and the repeated WHERE is re-checked against the row as committed by
  a concurrent claim, so a row goes to one claimant only; on SQLite every write transaction
  is BEGIN IMMEDIATE, so claims run one after the other. The rows claimed are those that
  carry the token afterwards.
- a process killed while holding rows leaves leases that expire; "still claimable" includes
  an expired lease, so another process claims them again.
- a graceful shutdown leaves no lease behind: the tokens this process holds are remembered
  (from before the claim's commit, so a shutdown in between still finds them) and
  `release_held` hands their rows back, claimable at once.

A `Leases` keeps that bookkeeping for one table, whose model has the columns `id`,
`leased_until` and `lease_token`. It sits below every feature (it imports only app.core).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.core.db import rows_affected


class Leases:
    def __init__(self, model: Any) -> None:
        """`model`: a table model with the columns `id`, `leased_until` and `lease_token`."""
        self.model = model
        self._held: set[str] = set()
        self._lock = threading.Lock()

    def claim(
        self,
        session: Session,
        candidates: sa.Select[Any],
        *,
        claimable: sa.ColumnElement[bool],
        until: datetime,
        also: Mapping[str, Any] | None = None,
    ) -> str:
        """Leases the rows `candidates` selects (their ids, ordered and limited) that are
        still `claimable`, until `until`, setting `also` on them too. Returns the token the
        claimed rows carry (let go of it when none does). The caller reads what it claimed
        and then commits: one transaction, so a database lost in between leaves nothing
        leased (committed first, the rows stayed leased, unsent, until the lease ran out)."""
        return self.claim_with(
            session, self.statement(candidates, claimable=claimable, also=also), until=until
        )

    def statement(
        self,
        candidates: sa.Select[Any],
        *,
        claimable: sa.ColumnElement[bool],
        also: Mapping[str, Any] | None = None,
    ) -> sa.Update:
        """The claim's UPDATE, to build once for `claim_with` (a statement built per claim
        cost more CPU than running it): the lease's end and token are its bound parameters
        `b_leased_until` and `b_lease_token`, beside whatever `candidates` and `claimable`
        bind."""
        table: sa.Table = self.model.__table__
        chosen = (
            candidates.with_for_update(skip_locked=True, of=self.model)
            # A CTE, evaluated once: as a subquery of the UPDATE, PostgreSQL may run it again
            # when it re-checks a row a concurrent claim changed, and each run skips other
            # rows, so one claim took 28 rows with a limit of 8.
            .cte("candidates")
        )
        return (
            table.update()
            .where(table.c.id.in_(sa.select(chosen.c.id)), claimable)
            .values(
                leased_until=sa.bindparam("b_leased_until", type_=table.c.leased_until.type),
                lease_token=sa.bindparam("b_lease_token", type_=table.c.lease_token.type),
                **(also or {}),
            )
            .execution_options(synchronize_session=False)
        )

    def claim_with(
        self,
        session: Session,
        statement: sa.Update,
        *,
        until: datetime,
        parameters: Mapping[str, Any] | None = None,
    ) -> str:
        """`claim` by a statement `statement` built, its other bound values `parameters`."""
        token = secrets.token_hex(16)
        with self._lock:  # before the commit: a shutdown in between still hands them back
            self._held.add(token)
        session.execute(
            statement, {**(parameters or {}), "b_leased_until": until, "b_lease_token": token}
        )
        return token

    def let_go(self, token: str) -> None:
        """The rows of this token are recorded (or there were none): nothing to hand back."""
        with self._lock:
            self._held.discard(token)

    def release_held(self, session: Session, *where: sa.ColumnElement[bool]) -> int:
        """Hands back the rows this process still holds (and that match `where`): unleased,
        so any process claims them at once. Returns how many. The caller commits."""
        with self._lock:
            tokens = sorted(self._held)
            self._held.clear()
        if not tokens:
            return 0
        released = session.execute(
            sa.update(self.model)
            .where(self.model.lease_token.in_(tokens), *where)
            .values(leased_until=None, lease_token=None)
            .execution_options(synchronize_session=False)
        )
        return rows_affected(released)
