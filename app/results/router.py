"""`GET /challenges/{challenge_id}/results`: under the challenge, tagged with it, served here.

The public cache (app.core.publiccache) keeps anonymous answers of this path for a few
seconds.
"""

from __future__ import annotations

from fastapi import Request, Response

from app.challenges.dependencies import VisibleChallenge
from app.core.db import SessionDep
from app.core.http import CONDITIONAL_GET_RESPONSES, json_response
from app.core.openapi import problems
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.principal.dependencies import OptionalMember
from app.results import service
from app.results.schemas import ResultPage

router = ResourceRouter(prefix="/challenges", tags=["challenges"])


@router.get(
    "/{challenge_id}/results",
    response_model=ResultPage,
    summary="Get a challenge's results",
    responses=CONDITIONAL_GET_RESPONSES | problems(409),
)
def challenges_results(
    request: Request,
    session: SessionDep,
    viewer: OptionalMember,
    challenge: VisibleChallenge,
    page: PageParamsDep,
) -> Response:
    """The ranking once closed (409 before): ties share a rank, disqualified works left out.
    Anonymous responses are cached for a few seconds (`Cache-Control`); revalidate with
    the ETag."""
    items, next_cursor = service.results_page(
        session, challenge=challenge, params=page, viewer=viewer
    )
    return json_response(request, ResultPage(items=items, next_cursor=next_cursor))
