"""Who hears about a challenge's phases.

- opened: active members whose profile lists the challenge's discipline, and members who
  list no discipline at all (newcomers and silent readers are exactly who a challenge
  should reach); a writing challenge does not ping every photographer.
- voting started: the participants (members with a work entered), to share their work.
- closed (results out): everyone who took part, participants and voters.
Each is one INSERT … SELECT, however many members it reaches. An announcement that comes
late (after a downtime the sweep may announce "opened" for a challenge already voting) is
not sent as a notification: it would point members at a phase that is over.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.challenges import judging
from app.challenges.schemas import ChallengePhase, JudgingMode
from app.core.domain_events import (
    ChallengeClosed,
    ChallengeOpened,
    ChallengePhaseReached,
    ChallengeVotingStarted,
    subscribe,
)
from app.i18n import N_, moment
from app.models import (
    Challenge,
    ChallengeParticipant,
    Member,
    MemberTag,
    TagKind,
    VoteBudget,
)
from app.notifications.service import notify_members

# What the results notification says, by how the challenge was judged.
RESULTS_BODY = {
    JudgingMode.VOTES: N_("See the winners and how every work placed."),
    JudgingMode.JURY: N_("The jury has chosen the winners; see how every work placed."),
    JudgingMode.COMBINED: N_(
        "See the winners chosen by the jury and the public vote, the audience award and how "
        "every work placed."
    ),
}


def _challenge(session: Session, event: ChallengePhaseReached) -> Challenge:
    challenge = session.get(Challenge, event.challenge_id)
    assert challenge is not None
    return challenge


def _is_current(event: ChallengePhaseReached, phase: ChallengePhase) -> bool:
    return event.phase == phase


def _interested_in(discipline: str) -> sa.ColumnElement[bool]:
    tags = select(MemberTag.member_id).where(
        MemberTag.member_id == Member.id, MemberTag.kind == TagKind.DISCIPLINE
    )
    return sa.or_(
        tags.where(MemberTag.value_key == discipline).exists(),
        ~tags.exists(),
    )


def _participant(challenge_id: int) -> sa.ColumnElement[bool]:
    return (
        select(ChallengeParticipant.member_id)
        .where(
            ChallengeParticipant.member_id == Member.id,
            ChallengeParticipant.challenge_id == challenge_id,
            col(ChallengeParticipant.submission_count) > 0,
        )
        .exists()
    )


def _voter(challenge_id: int) -> sa.ColumnElement[bool]:
    return (
        select(VoteBudget.member_id)
        .where(
            VoteBudget.member_id == Member.id,
            VoteBudget.challenge_id == challenge_id,
            col(VoteBudget.used) > 0,
        )
        .exists()
    )


@subscribe(ChallengeOpened)
def announce_opened(session: Session, event: ChallengeOpened) -> None:
    if not _is_current(event, ChallengePhase.OPEN):
        return
    challenge = _challenge(session, event)
    audience = _interested_in(challenge.discipline)
    if challenge.created_by_id is not None:
        audience = sa.and_(audience, col(Member.id) != challenge.created_by_id)
    notify_members(
        session,
        audience,
        type="challenge.opened",
        title=N_("New challenge: {challenge}"),
        body=N_("Theme: {theme}. Submissions are open until {closes}."),
        values={
            "challenge": challenge.title,
            "theme": challenge.theme,
            "closes": moment(challenge.submissions_close_at),
        },
        challenge_id=challenge.id,
    )


@subscribe(ChallengeVotingStarted)
def announce_voting(session: Session, event: ChallengeVotingStarted) -> None:
    if not _is_current(event, ChallengePhase.VOTING):
        return
    challenge = _challenge(session, event)
    notify_members(
        session,
        _participant(challenge.id),  # type: ignore[arg-type]
        type="challenge.voting_started",
        title=N_("Voting is open: {challenge}"),
        body=N_(
            "Submissions are closed. Voting runs until {closes}; invite others to take a look."
        ),
        values={"challenge": challenge.title, "closes": moment(challenge.voting_close_at)},
        challenge_id=challenge.id,
    )


@subscribe(ChallengeClosed)
def announce_results(session: Session, event: ChallengeClosed) -> None:
    if not _is_current(event, ChallengePhase.CLOSED):
        return
    challenge = _challenge(session, event)
    notify_members(
        session,
        sa.or_(_participant(challenge.id), _voter(challenge.id)),  # type: ignore[arg-type]
        type="challenge.results",
        title=N_("Results are out: {challenge}"),
        body=RESULTS_BODY[judging.setup_of(challenge).mode],
        values={"challenge": challenge.title},
        challenge_id=challenge.id,
    )
