"""`GET /challenges/{challenge_id}/results`: under the challenge, tagged with it, served here.

The public cache (app.core.publiccache) keeps anonymous answers of this path for a few
seconds.
"""

from __future__ import annotations

from functools import partial

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool

from app.core.http import CONDITIONAL_GET_RESPONSES, json_response
from app.core.openapi import problems
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.core.types import IdPath
from app.principal.dependencies import OptionalReader
from app.readmodels import read
from app.results import reads
from app.results.schemas import ResultPage

router = ResourceRouter(prefix="/challenges", tags=["challenges"])


@router.get(
    "/{challenge_id}/results",
    response_model=ResultPage,
    summary="Get a challenge's results",
    responses=CONDITIONAL_GET_RESPONSES | problems(404, 409),
)
async def challenges_results(
    request: Request, viewer: OptionalReader, challenge_id: IdPath, page: PageParamsDep
) -> Response:
    """The ranking once closed (409 before): ties share a rank, disqualified works left out.
    Anonymous responses are cached for a few seconds (`Cache-Control`); revalidate with
    the ETag."""
    results = partial(reads.results, challenge_id=challenge_id, viewer=viewer, params=page)
    shown = await read(request, results)
    if isinstance(shown, reads.Unranked):  # judged, not ranked by the sweep yet: a write
        engine = request.app.state.engine
        await run_in_threadpool(reads.rank, engine, challenge_id=challenge_id, viewer=viewer)
        shown = await read(request, results)
    assert not isinstance(shown, reads.Unranked)  # ranked now
    items, next_cursor = shown
    return json_response(request, ResultPage(items=items, next_cursor=next_cursor))
