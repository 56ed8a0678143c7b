from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from app.core.clock import utcnow
from app.core.db import SessionDep
from app.core.http import CONDITIONAL_GET_RESPONSES, json_response
from app.core.openapi import problems
from app.core.pagination import PageParamsDep, paginate_catalogue
from app.core.routing import ResourceRouter
from app.core.types import IdPath
from app.members import service as members
from app.principal.dependencies import (
    CreationDep,
    CurrentMember,
    CurrentReader,
    OptionalMember,
    OrganizerMember,
)
from app.readmodels import read
from app.recognition import badges, presenters, reads
from app.recognition.schemas import (
    AwardCreate,
    BadgeCatalogue,
    BadgePage,
    BadgePublic,
    LeaderboardFilters,
    LeaderboardPage,
)

leaderboard_router = ResourceRouter(prefix="/leaderboard", tags=["leaderboard"])
badges_router = ResourceRouter(prefix="/badges", tags=["badges"])
# A member's badges and awards are part of their profile.
members_router = ResourceRouter(prefix="/members", tags=["members"])


@leaderboard_router.get("", response_model=LeaderboardPage, summary="The leaderboard")
async def leaderboard_list(
    request: Request,
    _member: CurrentReader,
    page: PageParamsDep,
    filters: Annotated[LeaderboardFilters, Query()],
) -> LeaderboardPage:
    """Members ranked by points earned in the current week, month (default) or all time."""
    return await read(
        request,
        reads.leaderboard,
        period=filters.period,
        discipline=filters.discipline,
        now=utcnow(),
        params=page,
    )


@badges_router.get("", response_model=BadgeCatalogue, summary="The badge catalogue")
def badges_list(session: SessionDep, _member: CurrentMember, page: PageParamsDep) -> BadgeCatalogue:
    """The badges members can earn, in a fixed order, with how many active members hold each."""
    rules, next_cursor = paginate_catalogue(badges.CATALOGUE, key=lambda r: r.code, params=page)
    holders, awards = badges.holders(session)
    return presenters.catalogue(rules, next_cursor, holders=holders, awards=awards)


@members_router.get(
    "/{member_id}/badges",
    response_model=BadgePage,
    summary="A member's badges",
    responses=problems(404),
)
def members_list_badges(
    session: SessionDep, viewer: OptionalMember, member_id: IdPath, page: PageParamsDep
) -> BadgePage:
    """Badges and awards of a member (public, like the profile), newest first."""
    member = members.get_visible(session, member_id=member_id, viewer=viewer)
    rows, next_cursor = badges.list_badges(session, member_id=member.id, params=page)  # type: ignore[arg-type]
    return BadgePage(items=[presenters.badge(row) for row in rows], next_cursor=next_cursor)


@members_router.get(
    "/{member_id}/badges/{badge_id}",
    response_model=BadgePublic,
    summary="Get one of a member's badges",
    responses=CONDITIONAL_GET_RESPONSES | problems(404),
)
def members_get_badge(
    request: Request,
    session: SessionDep,
    viewer: OptionalMember,
    member_id: IdPath,
    badge_id: IdPath,
) -> Response:
    """One badge or award of a member, with why it was earned."""
    member = members.get_visible(session, member_id=member_id, viewer=viewer)
    badge = badges.get_badge(session, member_id=member.id, badge_id=badge_id)  # type: ignore[arg-type]
    return json_response(request, presenters.badge(badge))


@members_router.post(
    "/{member_id}/awards",
    status_code=201,
    response_model=BadgePublic,
    summary="Grant an award",
    responses=problems(404),
)
def members_grant_award(
    session: SessionDep,
    organizer: OrganizerMember,
    member_id: IdPath,
    data: AwardCreate,
    creation: CreationDep,
) -> Response:
    """Organizers grant an award ("most creative member, November"); it joins the badges."""
    member = members.get_visible(session, member_id=member_id, viewer=organizer)
    badge = badges.grant(
        session, organizer=organizer, member=member, title=data.title, note=data.note
    )
    return creation.created(
        presenters.badge(badge), location=f"/api/v1/members/{member_id}/badges/{badge.id}"
    )


# Included one by one by app.api: a router inside a router costs a second match per request.
routers = (leaderboard_router, badges_router, members_router)
