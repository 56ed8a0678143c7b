"""The log-in form's budget of attempts per account, spent before any password is checked."""

from __future__ import annotations

from functools import lru_cache

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from limits import parse
from sqlalchemy import Engine
from sqlmodel import Session

from app.core.db import read_only
from app.core.deps import SettingsDep
from app.core.errors import TooManyRequests
from app.core.openapi import declares
from app.core.ratelimit import Limiter, account_key
from app.members import service as members

_limit = lru_cache(maxsize=8)(parse)


@declares(429)
async def login_attempt_allowed(request: Request, settings: SettingsDep) -> None:
    """Counts a log-in attempt against the account typed, before any password is checked
    and whether or not the account exists: the answer is the same for both."""
    limiter: Limiter | None = request.app.state.rate_limiter
    username = (await request.form()).get("username")  # parsed once, shared with the form
    if limiter is None or not isinstance(username, str):
        return  # limits are off, or the form is invalid and gets its 422
    limit = _limit(settings.rate_limit_login_account)
    account = await run_in_threadpool(_counted_account, request.app.state.engine, username)
    retry = await limiter.retry_after(limit, "login-account", account)
    if retry is not None:
        raise TooManyRequests(
            f"Too many log-in attempts for this account; retry in {retry} seconds.",
            headers={"Retry-After": str(retry)},
        )


def _counted_account(engine: Engine, username: str) -> str:
    """The account a log-in name belongs to, so that its email and its handle spend one
    budget; a name of no account is counted by itself, and answered alike."""
    with Session(read_only(engine)) as session:
        member = members.find_by_login(session, username)
    return f"member:{member.id}" if member is not None else account_key(username)


LoginAttemptAllowed = Depends(login_attempt_allowed)
