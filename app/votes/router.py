from __future__ import annotations

from fastapi import Response

from app.challenges.dependencies import VisibleChallenge
from app.core.db import SessionDep
from app.core.openapi import problems
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.core.types import IdPath
from app.principal.dependencies import CurrentMember, OrganizerMember
from app.votes import service
from app.votes.schemas import MyVotes, VotePage, VotePublic

submission_router = ResourceRouter(prefix="/submissions", tags=["submissions"])
challenge_router = ResourceRouter(prefix="/challenges", tags=["challenges"])


@submission_router.put(
    "/{submission_id}/vote",
    response_model=VotePublic,
    summary="Vote for a work",
    responses=problems(404, 409),
)
def submissions_vote(
    session: SessionDep, member: CurrentMember, submission_id: IdPath
) -> VotePublic:
    """While voting: one vote per work (repeating it changes nothing), never for your own
    work (403 `own_submission`), at most `votes_per_member` (409 `vote_budget_exhausted`)."""
    return service.cast_vote(session, submission_id=submission_id, member=member)


@submission_router.delete(
    "/{submission_id}/vote",
    status_code=204,
    summary="Withdraw my vote",
    responses=problems(404, 409),
)
def submissions_unvote(
    session: SessionDep, member: CurrentMember, submission_id: IdPath
) -> Response:
    """While voting: takes the vote back and returns it to your budget."""
    service.withdraw_vote(session, submission_id=submission_id, member=member)
    return Response(status_code=204)


@challenge_router.get(
    "/{challenge_id}/votes/me", response_model=MyVotes, summary="Get my votes in a challenge"
)
def challenges_my_votes(
    session: SessionDep, member: CurrentMember, challenge: VisibleChallenge
) -> MyVotes:
    """The works you voted for and how many votes you have left."""
    return service.my_votes(session, challenge=challenge, member=member)


@challenge_router.get(
    "/{challenge_id}/votes", response_model=VotePage, summary="List a challenge's votes"
)
def challenges_list_votes(
    session: SessionDep,
    _organizer: OrganizerMember,
    challenge: VisibleChallenge,
    page: PageParamsDep,
) -> VotePage:
    """Every current vote, in the order cast: the organizers' audit."""
    votes, next_cursor = service.list_votes(session, challenge=challenge, params=page)
    return VotePage(items=service.present_votes(session, votes), next_cursor=next_cursor)


# Included one by one by app.api: a router inside a router costs a second match per request.
routers = (submission_router, challenge_router)
