"""The log-in form's budget of attempts per account, spent before any password is checked."""

from __future__ import annotations

import math
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.core.db import read_only
from app.core.deps import SettingsDep
from app.core.errors import TooManyRequests
from app.core.openapi import declares
from app.core.ratelimit import Limiter, SharedCountUnavailable, account_key
from app.i18n import N_
from app.members import service as members
from app.models import LoginAttempt

if TYPE_CHECKING:
    from limits import RateLimitItem


@lru_cache(maxsize=8)
def _limit(text: str) -> RateLimitItem:
    from limits import parse  # only with a limiter (app.core.ratelimit), never with limits off

    return parse(text)


@declares(429)
async def login_attempt_allowed(request: Request, settings: SettingsDep) -> None:
    """Counts a log-in attempt against the account typed, before any password is checked
    and whether or not the account exists: the answer is the same for both."""
    limiter: Limiter | None = request.app.state.rate_limiter
    username = (await request.form()).get("username")  # parsed once, shared with the form
    if limiter is None or not isinstance(username, str):
        return  # limits are off, or the form is invalid and gets its 422
    limit = _limit(settings.rate_limit_login_account)
    engine = request.app.state.engine
    account = await run_in_threadpool(_counted_account, engine, username)
    try:
        retry = await limiter.shared_retry_after(limit, "login-account", account)
    except SharedCountUnavailable:
        # Counted alone, each process would give a guesser its own budget: the database is
        # shared by every process, and this limit is the one that protects passwords.
        retry = await run_in_threadpool(_counted_in_database, engine, limit, account)
    if retry is not None:
        raise TooManyRequests(
            N_("Too many log-in attempts for this account; retry in {retry} seconds."),
            values={"retry": retry},
            headers={"Retry-After": str(retry)},
        )


def _counted_account(engine: Engine, username: str) -> str:
    """The account a log-in name belongs to, so that its email and its handle spend one
    budget; a name of no account is counted by itself, and answered alike."""
    with Session(read_only(engine)) as session:
        member = members.find_by_login(session, username)
    return f"member:{member.id}" if member is not None else account_key(username)


def _counted_in_database(engine: Engine, limit: RateLimitItem, account: str) -> int | None:
    """Counts one attempt in the database: None within the budget, else the seconds until
    the oldest attempt that counts leaves the window. The attempts themselves are the window
    (at most the budget per account is kept; refused attempts are not), and each count is
    made under a lock of its account so that two processes cannot both take the last one."""
    now = utcnow()
    since = now - timedelta(seconds=limit.get_expiry())
    with Session(engine) as session:
        if session.get_bind().dialect.name == "postgresql":  # SQLite: BEGIN IMMEDIATE already
            session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(account))))
        session.execute(sa.delete(LoginAttempt).where(col(LoginAttempt.attempted_at) <= since))
        counted = session.exec(
            select(LoginAttempt.attempted_at)
            .where(LoginAttempt.account == account, col(LoginAttempt.attempted_at) > since)
            .order_by(col(LoginAttempt.attempted_at).desc())
            .limit(limit.amount)
        ).all()
        if len(counted) >= limit.amount:
            session.commit()
            leaves_window = counted[-1] + timedelta(seconds=limit.get_expiry())
            return max(1, math.ceil((leaves_window - now).total_seconds()))
        session.add(LoginAttempt(account=account, attempted_at=now))
        session.commit()
    return None


LoginAttemptAllowed = Depends(login_attempt_allowed)
