"""The caller, with their feed caught up on announcements before it is read."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.core.db import SAFE_METHODS, SessionDep
from app.models import Member
from app.notifications import reads, service
from app.principal.dependencies import CurrentMember


def caught_up_member(request: Request, session: SessionDep, member: CurrentMember) -> Member:
    """Catches the member's feed up on new announcements (a no-op read when there are none).

    A GET's session is read-only (a deferred transaction on SQLite), so the catch-up is its
    own short write transaction; the read session is then ended so that its next query
    sees what was just written (a SQLite read transaction keeps its first snapshot)."""
    upto = service.announcements_behind(session, member=member)
    if upto is None:
        return member
    if request.method not in SAFE_METHODS:
        service.catch_up(session, member=member, upto=upto)
        return member
    reads.catch_up(request.app.state.engine, member=member, upto=upto)
    session.commit()
    return member


CaughtUpMember = Annotated[Member, Depends(caught_up_member)]
