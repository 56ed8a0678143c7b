from __future__ import annotations

from fastapi import Request, Response

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
from app.principal.dependencies import CreationDep, CurrentMember, OptionalReader, OrganizerMember
from app.readmodels import read
from app.submissions import reads, service
from app.submissions.schemas import (
    Moderation,
    SubmissionCreate,
    SubmissionPage,
    SubmissionPublic,
    SubmissionUpdate,
)

# Entering and listing works happens under their challenge.
challenge_router = ResourceRouter(prefix="/challenges", tags=["challenges"])
submissions_router = ResourceRouter(prefix="/submissions", tags=["submissions"])


@challenge_router.post(
    "/{challenge_id}/submissions",
    status_code=201,
    response_model=SubmissionPublic,
    summary="Enter a work in a challenge",
    responses=problems(404, 409),
)
def challenges_create_submission(
    session: SessionDep,
    member: CurrentMember,
    challenge_id: IdPath,
    data: SubmissionCreate,
    creation: CreationDep,
) -> Response:
    """Only while the challenge is open, and within its `max_submissions_per_member`."""
    submission, challenge = service.create_submission(
        session, challenge_id=challenge_id, member=member, data=data
    )
    public = service.present(session, submission, challenge=challenge, viewer=member)
    return creation.created(public, location=f"/api/v1/submissions/{submission.id}")


@challenge_router.get(
    "/{challenge_id}/submissions",
    response_model=SubmissionPage,
    summary="List a challenge's works",
    responses=problems(404),
)
async def challenges_list_submissions(
    viewer: OptionalReader, challenge_id: IdPath, page: PageParamsDep, request: Request
) -> SubmissionPage:
    """Members see the works at any phase, anonymous visitors once it closes (else 401)."""
    return await read(request, reads.page, challenge_id=challenge_id, viewer=viewer, params=page)


@submissions_router.get(
    "/{submission_id}",
    response_model=SubmissionPublic,
    summary="Get a work",
    responses=CONDITIONAL_GET_RESPONSES | problems(404),
)
async def submissions_get(
    request: Request, viewer: OptionalReader, submission_id: IdPath
) -> Response:
    """One work; its vote count shows once the challenge is closed."""
    shown = await read(request, reads.work, submission_id=submission_id, viewer=viewer)
    return json_response(request, shown)


@submissions_router.patch(
    "/{submission_id}",
    response_model=SubmissionPublic,
    summary="Edit my work",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(403, 404, 409, 412),
)
def submissions_update(
    request: Request,
    session: SessionDep,
    member: CurrentMember,
    submission_id: IdPath,
    changes: SubmissionUpdate,
) -> Response:
    """The author edits while the challenge is open (license and consent at any time)."""
    work, challenge = service.lock_own(session, submission_id=submission_id, member=member)
    require_current(request, service.present(session, work, challenge=challenge, viewer=member))
    work = service.update_submission(session, submission=work, challenge=challenge, changes=changes)
    return json_response(
        request, service.present(session, work, challenge=challenge, viewer=member)
    )


@submissions_router.delete(
    "/{submission_id}",
    status_code=204,
    summary="Withdraw my work",
    responses=problems(403, 404, 409),
)
def submissions_delete(
    session: SessionDep, member: CurrentMember, submission_id: IdPath
) -> Response:
    """The author withdraws the work while the challenge is open."""
    service.withdraw(session, submission_id=submission_id, member=member)
    return Response(status_code=204)


@submissions_router.post(
    "/{submission_id}/moderation",
    response_model=SubmissionPublic,
    summary="Moderate a work",
    responses=problems(404),
)
def submissions_moderate(
    session: SessionDep,
    organizer: OrganizerMember,
    submission_id: IdPath,
    data: Moderation,
) -> SubmissionPublic:
    """Organizers disqualify, reinstate, feature or unfeature; the author is notified."""
    submission, challenge = service.moderate(
        session, submission_id=submission_id, organizer=organizer, data=data
    )
    return service.present(session, submission, challenge=challenge, viewer=organizer)


# Included one by one by app.api: a router inside a router costs a second match per request.
routers = (challenge_router, submissions_router)
