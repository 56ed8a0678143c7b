from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from app.challenges import service
from app.challenges.dependencies import VisibleChallenge
from app.challenges.schemas import (
    ChallengeCreate,
    ChallengeFilters,
    ChallengePage,
    ChallengePublic,
    ChallengeUpdate,
)
from app.core.db import SessionDep, quick_read
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
from app.principal.dependencies import CreationDep, OptionalMember, OrganizerMember

router = ResourceRouter(prefix="/challenges", tags=["challenges"])


@router.post("", status_code=201, response_model=ChallengePublic, summary="Create a challenge")
def challenges_create(
    session: SessionDep, organizer: OrganizerMember, data: ChallengeCreate, creation: CreationDep
) -> Response:
    """Organizers create a challenge, or with `repeat` a series (its first one returned)."""
    challenge = service.create_challenge(session, organizer=organizer, data=data)
    return creation.created(
        service.present(session, challenge), location=f"/api/v1/challenges/{challenge.id}"
    )


@router.get("", response_model=ChallengePage, summary="List challenges")
def challenges_list(
    session: SessionDep,
    viewer: OptionalMember,
    page: PageParamsDep,
    filters: Annotated[ChallengeFilters, Query()],
) -> ChallengePage:
    """Published challenges, newest first (organizers also see drafts); filter by phase."""
    rows, next_cursor = service.list_challenges(
        session, filters=filters, params=page, viewer=viewer
    )
    return ChallengePage(items=service.present_many(session, rows), next_cursor=next_cursor)


@router.get(
    "/{challenge_id}",
    response_model=ChallengePublic,
    summary="Get a challenge",
    responses=CONDITIONAL_GET_RESPONSES,
)
@quick_read()
def challenges_get(request: Request, session: SessionDep, challenge: VisibleChallenge) -> Response:
    """One challenge with its current phase and counts; drafts are visible to organizers only."""
    return json_response(request, service.present(session, challenge))


@router.patch(
    "/{challenge_id}",
    response_model=ChallengePublic,
    summary="Update a challenge",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(404, 409, 412),
)
def challenges_update(
    request: Request,
    session: SessionDep,
    organizer: OrganizerMember,
    challenge_id: IdPath,
    changes: ChallengeUpdate,
) -> Response:
    """Organizers edit; send `If-Match`. Dates may move at any time and the phase follows."""
    challenge = service.lock(session, challenge_id=challenge_id, viewer=organizer, exclusive=True)
    require_current(request, service.present(session, challenge))
    challenge = service.update_challenge(
        session, challenge=challenge, changes=changes, actor=organizer
    )
    return json_response(request, service.present(session, challenge))


@router.delete(
    "/{challenge_id}", status_code=204, summary="Delete a challenge", responses=problems(404)
)
def challenges_delete(
    session: SessionDep, organizer: OrganizerMember, challenge_id: IdPath
) -> Response:
    """Removes the challenge with its works and votes (not the rest of its series)."""
    challenge = service.lock(session, challenge_id=challenge_id, viewer=organizer, exclusive=True)
    service.delete_challenge(session, challenge=challenge)
    return Response(status_code=204)
