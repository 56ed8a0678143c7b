from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from app.core.db import SessionDep
from app.core.http import (
    CONDITIONAL_GET_RESPONSES,
    CONDITIONAL_WRITE_RESPONSES,
    json_response,
    require_current,
)
from app.core.openapi import problems
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.core.types import IdPath
from app.mentoring import service
from app.mentoring.schemas import (
    MentorshipCreate,
    MentorshipFilters,
    MentorshipPage,
    MentorshipPublic,
    MentorshipUpdate,
)
from app.principal.dependencies import CreationDep, CurrentMember

mentorships_router = ResourceRouter(prefix="/mentorships", tags=["mentorships"])


@mentorships_router.post(
    "",
    status_code=201,
    response_model=MentorshipPublic,
    summary="Ask a mentor for mentoring",
    responses=problems(404, 409),
)
def mentorships_create(
    session: SessionDep, member: CurrentMember, data: MentorshipCreate, creation: CreationDep
) -> Response:
    """A `pending` request with your goal; the mentor is notified. One open request per mentor."""
    mentorship = service.request_mentorship(session, mentee=member, data=data)
    public = service.present_mentorships(session, [mentorship])[0]
    return creation.created(public, location=f"/api/v1/mentorships/{mentorship.id}")


@mentorships_router.get("", response_model=MentorshipPage, summary="List my mentorships")
def mentorships_list(
    session: SessionDep,
    member: CurrentMember,
    page: PageParamsDep,
    filters: Annotated[MentorshipFilters, Query()],
) -> MentorshipPage:
    """The caller's mentorships, as mentor or mentee, newest first."""
    mentorships, next_cursor = service.list_mentorships(
        session, member=member, filters=filters, params=page
    )
    items = service.present_mentorships(session, mentorships)
    return MentorshipPage(items=items, next_cursor=next_cursor)


@mentorships_router.get(
    "/{mentorship_id}",
    response_model=MentorshipPublic,
    summary="Get a mentorship",
    responses=CONDITIONAL_GET_RESPONSES | problems(404),
)
def mentorships_get(
    request: Request, session: SessionDep, member: CurrentMember, mentorship_id: IdPath
) -> Response:
    """One mentorship; only its mentor and mentee see it."""
    mentorship = service.get_mentorship(session, mentorship_id=mentorship_id, viewer=member)
    return json_response(request, service.present_mentorships(session, [mentorship])[0])


@mentorships_router.patch(
    "/{mentorship_id}",
    response_model=MentorshipPublic,
    summary="Answer, complete or end a mentorship",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(403, 404, 409, 412),
)
def mentorships_update(
    request: Request,
    session: SessionDep,
    member: CurrentMember,
    mentorship_id: IdPath,
    data: MentorshipUpdate,
) -> Response:
    """The mentor accepts (takes a spot; 409 when full) or declines a request, and completes
    or ends (`declined`) an accepted mentorship, which frees the spot."""
    mentorship = service.lock_for_answer(session, mentorship_id=mentorship_id, mentor=member)
    require_current(request, service.present_mentorships(session, [mentorship])[0])
    mentorship = service.answer(session, mentorship=mentorship, status=data.status)
    return json_response(request, service.present_mentorships(session, [mentorship])[0])


# Included one by one by app.api: a router inside a router costs a second match per request.
routers = (mentorships_router,)
