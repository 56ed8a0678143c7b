from __future__ import annotations

from app.challenges.dependencies import VisibleChallenge
from app.core.db import SessionDep
from app.core.openapi import problems
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.core.types import IdPath
from app.judging import service
from app.judging.schemas import AuthorScorePage, JudgingProgress, ScoreIn, ScorePublic
from app.principal.dependencies import CurrentMember, OrganizerMember

submission_router = ResourceRouter(prefix="/submissions", tags=["submissions"])
challenge_router = ResourceRouter(prefix="/challenges", tags=["challenges"])


@submission_router.put(
    "/{submission_id}/score",
    response_model=ScorePublic,
    summary="Score a work as a juror",
    responses=problems(403, 404, 409, 422),
)
def submissions_score(
    session: SessionDep, juror: CurrentMember, submission_id: IdPath, data: ScoreIn
) -> ScorePublic:
    """Jurors, while voting: every criterion 1–10 (sending again replaces the scores);
    never your own work or a mentee's (403 `conflict_of_interest`)."""
    return service.score_work(session, submission_id=submission_id, juror=juror, data=data)


@submission_router.get(
    "/{submission_id}/scores",
    response_model=AuthorScorePage,
    summary="List the jury's scores of a work",
    responses=problems(403, 404, 409),
)
def submissions_list_scores(
    session: SessionDep, member: CurrentMember, submission_id: IdPath, page: PageParamsDep
) -> AuthorScorePage:
    """For the author (and organizers) once the challenge closed: each juror's scores and
    note, jurors unnamed."""
    items, next_cursor = service.author_scores(
        session, submission_id=submission_id, viewer=member, params=page
    )
    return AuthorScorePage(items=items, next_cursor=next_cursor)


@challenge_router.get(
    "/{challenge_id}/judging",
    response_model=JudgingProgress,
    summary="Get a challenge's judging progress",
)
def challenges_judging(
    session: SessionDep,
    _organizer: OrganizerMember,
    challenge: VisibleChallenge,
    page: PageParamsDep,
) -> JudgingProgress:
    """Organizers: the setup, each juror's count and every score given (who scored what)."""
    return service.progress(session, challenge=challenge, params=page)


# Included one by one by app.api: a router inside a router costs a second match per request.
routers = (submission_router, challenge_router)
