from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.analytics import service
from app.analytics.schemas import (
    EngagementReport,
    FadingMember,
    FadingMemberPage,
    SilentMember,
    SilentMemberPage,
)
from app.core.clock import utcnow
from app.core.db import SessionDep
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.core.types import ScheduleDate
from app.principal.dependencies import OrganizerMember
from app.recognition.presenters import summary

router = ResourceRouter(prefix="/analytics", tags=["analytics"])


@router.get("/engagement", response_model=EngagementReport, summary="Engagement over a range")
def analytics_engagement(
    session: SessionDep,
    _organizer: OrganizerMember,
    # Bounded years, as for anything scheduled: a day near datetime's limits overflowed the
    # range's end (the day after `to`) into a 500.
    from_: Annotated[ScheduleDate, Query(alias="from", description="First day (UTC), inclusive.")],
    to: Annotated[ScheduleDate, Query(description="Last day (UTC), inclusive; at most 366 days.")],
) -> EngagementReport:
    """Members, participation and contributions between two dates, week by week (organizers)."""
    return service.engagement(session, start=from_, end=to)


@router.get("/silent-members", response_model=SilentMemberPage, summary="Silent members")
def analytics_silent_members(
    session: SessionDep,
    _organizer: OrganizerMember,
    page: PageParamsDep,
    days: Annotated[int, Query(ge=1, le=365, description="The window, in days.")] = 30,
) -> SilentMemberPage:
    """Members without a contribution in the last `days`, newest joined first, to reach out to."""
    rows, next_cursor = service.silent_members(session, days=days, now=utcnow(), params=page)
    items = [
        SilentMember(
            member=summary(row.member),
            joined_at=row.member.joined_at,
            last_contribution_at=row.last_contribution_at,
            newcomer=row.newcomer,
        )
        for row in rows
    ]
    return SilentMemberPage(items=items, next_cursor=next_cursor)


@router.get("/fading-members", response_model=FadingMemberPage, summary="Fading members")
def analytics_fading_members(
    session: SessionDep, _organizer: OrganizerMember, page: PageParamsDep
) -> FadingMemberPage:
    """Members whose last 30 days fell below half their usual monthly rate (prior 90 days)."""
    rows, next_cursor = service.fading_members(session, now=utcnow(), params=page)
    items = [
        FadingMember(
            member=summary(row.member),
            recent=row.recent,
            baseline=row.baseline,
            last_contribution_at=row.last_contribution_at,
        )
        for row in rows
    ]
    return FadingMemberPage(items=items, next_cursor=next_cursor)
