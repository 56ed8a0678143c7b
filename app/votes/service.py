"""Votes: one per member and work, within a per-challenge budget, only while voting.

Each rule is the database's to keep, so it holds under concurrent requests:
- one vote per member and work: the unique (member_id, submission_id) constraint, met by
  `INSERT … ON CONFLICT DO NOTHING`; a repeated PUT inserts nothing and spends nothing;
- the budget: a new vote then takes one from the member's `vote_budgets` row with one
  `INSERT … ON CONFLICT DO UPDATE SET used = used + 1 WHERE used < allowance` (and a CHECK
  backs it); with none left the request fails and its vote insert is rolled back with it;
- the tally: `vote_count = vote_count + 1` on the work, in the same transaction.
The challenge row is locked (shared) first, then the vote, the budget and the work are
written, in that order everywhere, so concurrent votes queue instead of deadlocking. Once
the work's row is locked nothing may wait for a worker thread until the commit: with more
voters on one work than threads, the lock holder would wait for a thread that every other
voter holds while waiting for its lock. The unit of work guarantees it for every handler
(app.core.db.UnitOfWorkRoute: handler and commit in one worker-thread call, the response
validated afterwards).

Disqualified works take no new votes (409 `submission_disqualified`). Votes cast before a
disqualification stay (and stay spent) until their voters withdraw them, which is allowed
and refunds the vote; members still see the work, flagged, so they can. The work itself is
left out of the results.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.challenges import service as challenges
from app.core.clock import utcnow
from app.core.db import NO_SYNC, holds_write_lock, rows_affected, upsert_insert
from app.core.domain_events import VoteCast, VoteWithdrawn, publish
from app.core.pagination import PageParams, asc, paginate
from app.models import Challenge, Member, Submission, Vote, VoteBudget
from app.submissions import service as submissions
from app.submissions.exceptions import SubmissionNotFound
from app.votes.exceptions import (
    OwnSubmission,
    SubmissionDisqualified,
    VoteBudgetExhausted,
    VoteNotFound,
)
from app.votes.schemas import MyVotes, VotePublic, Voter, VoteRecord


def _lock_for_voting(
    session: Session, *, submission_id: int, member: Member
) -> tuple[Submission, Challenge]:
    submission, challenge = submissions.get_visible(
        session, submission_id=submission_id, viewer=member
    )
    if holds_write_lock(session):  # SQLite: nothing just read can change before the commit
        challenges.require_voting(challenge, utcnow())
        return submission, challenge
    challenge = challenges.lock(
        session, challenge_id=submission.challenge_id, viewer=member, exclusive=False
    )
    challenges.require_voting(challenge, utcnow())
    # Read again under the lock: a moderation may have committed since the first read.
    current = session.exec(
        select(Submission)
        .where(Submission.id == submission_id)
        .execution_options(populate_existing=True)
    ).first()
    if current is None:
        raise SubmissionNotFound(f"Submission {submission_id} does not exist.")
    return current, challenge


def cast_vote(session: Session, *, submission_id: int, member: Member) -> VotePublic:
    """Votes for the work; voting again for it changes nothing (PUT is idempotent)."""
    submission, challenge = _lock_for_voting(session, submission_id=submission_id, member=member)
    if submission.member_id == member.id:
        raise OwnSubmission("You cannot vote for your own work.")
    if submission.disqualified:
        raise SubmissionDisqualified("This work was disqualified and takes no votes.")
    now = utcnow()
    insert = upsert_insert(session, Vote).values(
        challenge_id=challenge.id, submission_id=submission_id, member_id=member.id, created_at=now
    )
    insert = insert.on_conflict_do_nothing(index_elements=["member_id", "submission_id"])
    if session.execute(insert.returning(col(Vote.id))).first() is not None:
        used = _spend(session, challenge=challenge, member_id=member.id)  # type: ignore[arg-type]
        _tally(session, submission_id=submission_id, delta=1)
        _publish(session, VoteCast, challenge=challenge, submission_id=submission_id, member=member)
        return _cast(challenge, submission_id=submission_id, created_at=now, used=used)
    # Cast before: the answer describes that vote.
    created_at = session.exec(
        select(Vote.created_at).where(
            Vote.member_id == member.id, Vote.submission_id == submission_id
        )
    ).one()
    used = _used(session, challenge=challenge, member_id=member.id)  # type: ignore[arg-type]
    return _cast(challenge, submission_id=submission_id, created_at=created_at, used=used)


def _cast(
    challenge: Challenge, *, submission_id: int, created_at: datetime, used: int
) -> VotePublic:
    return VotePublic(
        submission_id=submission_id,
        challenge_id=challenge.id,  # type: ignore[arg-type]
        created_at=created_at,
        remaining=_left(challenge, used),
    )


def _left(challenge: Challenge, used: int) -> int:
    return max(challenge.votes_per_member - used, 0)


def withdraw_vote(session: Session, *, submission_id: int, member: Member) -> None:
    """Takes the vote back, returning it to the member's budget (while voting)."""
    _, challenge = _lock_for_voting(session, submission_id=submission_id, member=member)
    deleted = session.execute(
        sa.delete(Vote).where(
            col(Vote.member_id) == member.id, col(Vote.submission_id) == submission_id
        )
    )
    if rows_affected(deleted) == 0:
        raise VoteNotFound("You have not voted for this work.")
    refund = (
        sa.update(VoteBudget)
        .where(col(VoteBudget.challenge_id) == challenge.id, col(VoteBudget.member_id) == member.id)
        .values(used=col(VoteBudget.used) - 1)
    )
    session.execute(refund, execution_options=NO_SYNC)
    _tally(session, submission_id=submission_id, delta=-1)
    _publish(
        session, VoteWithdrawn, challenge=challenge, submission_id=submission_id, member=member
    )


def _spend(session: Session, *, challenge: Challenge, member_id: int) -> int:
    """Takes one vote from the member's budget in this challenge, or refuses; the votes
    used after it. One statement: the budget's first vote inserts its row (used = 1), every
    later one adds one only while some are left."""
    used = col(VoteBudget.used)
    statement = (
        upsert_insert(session, VoteBudget)
        .values(
            challenge_id=challenge.id,
            member_id=member_id,
            allowance=challenge.votes_per_member,
            used=1,
        )
        .on_conflict_do_update(
            index_elements=["challenge_id", "member_id"],
            set_={"used": used + 1},
            where=used < col(VoteBudget.allowance),
        )
        .returning(used)
    )
    spent = session.execute(statement, execution_options=NO_SYNC).scalar_one_or_none()
    if spent is None:
        raise VoteBudgetExhausted(
            f"You have cast all {challenge.votes_per_member} of your votes in this challenge; "
            "withdraw one to vote for another work."
        )
    return int(spent)


def _tally(session: Session, *, submission_id: int, delta: int) -> None:
    statement = (
        sa.update(Submission)
        .where(col(Submission.id) == submission_id)
        .values(vote_count=col(Submission.vote_count) + delta)
    )
    session.execute(statement, execution_options=NO_SYNC)


def _publish(
    session: Session,
    kind: type[VoteCast | VoteWithdrawn],
    *,
    challenge: Challenge,
    submission_id: int,
    member: Member,
) -> None:
    # Voting is a contribution: recognition subscribes to these.
    assert challenge.id is not None and member.id is not None  # rows read back
    publish(
        session,
        kind(
            actor_id=member.id,
            challenge_id=challenge.id,
            submission_id=submission_id,
            member_id=member.id,
        ),
    )


def _used(session: Session, *, challenge: Challenge, member_id: int) -> int:
    used = session.exec(
        select(VoteBudget.used).where(
            VoteBudget.challenge_id == challenge.id, VoteBudget.member_id == member_id
        )
    ).first()
    return used or 0


def remaining(session: Session, *, challenge: Challenge, member_id: int) -> int:
    return _left(challenge, _used(session, challenge=challenge, member_id=member_id))


def my_votes(session: Session, *, challenge: Challenge, member: Member) -> MyVotes:
    ids = session.exec(
        select(Vote.submission_id)
        .where(Vote.challenge_id == challenge.id, Vote.member_id == member.id)
        .order_by(col(Vote.id))
    ).all()
    return MyVotes(
        submission_ids=list(ids),
        remaining=remaining(session, challenge=challenge, member_id=member.id),  # type: ignore[arg-type]
    )


def list_votes(
    session: Session, *, challenge: Challenge, params: PageParams
) -> tuple[list[Vote], str | None]:
    """Every current vote in the challenge, in the order cast (organizers' audit)."""
    statement = select(Vote).where(Vote.challenge_id == challenge.id)
    return paginate(session, statement, keys=[asc(Vote.id)], params=params)


def present_votes(session: Session, votes: Sequence[Vote]) -> list[VoteRecord]:
    """Votes with their voters, in one query for any number."""
    ids = {vote.member_id for vote in votes}
    voters: dict[int, Voter] = {}
    if ids:
        rows = session.execute(
            sa.select(Member.id, Member.handle, Member.display_name).where(  # type: ignore[call-overload]
                col(Member.id).in_(ids)
            )
        )
        voters = {row.id: Voter.model_validate(row, from_attributes=True) for row in rows}
    return [
        VoteRecord(
            id=vote.id,  # type: ignore[arg-type]
            submission_id=vote.submission_id,
            voter=voters[vote.member_id],
            created_at=vote.created_at,
        )
        for vote in votes
    ]
