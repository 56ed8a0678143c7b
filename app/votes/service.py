"""Votes: one per member and work, within a per-challenge budget, only while voting.

Each rule is the database's to keep, so it holds under concurrent requests:
- one vote per member and work: the unique (member_id, submission_id) constraint, met by
  `INSERT … ON CONFLICT DO NOTHING`; a repeated PUT inserts nothing and spends nothing;
- the budget: a new vote then takes one from the member's `vote_budgets` row with one
  `INSERT … ON CONFLICT DO UPDATE SET used = used + 1 WHERE used < allowance` (and a CHECK
  backs it); with none left the request fails and its vote insert is rolled back with it;
- the tally: `vote_count = vote_count + 1` on the work, in the same transaction.
The challenge row is locked (shared) first, then the vote, the budget and the work are
written, in that order everywhere, so concurrent votes queue instead of deadlocking. On
PostgreSQL those three writes are one statement (its parts chained so that each reads the
one before it, in the same order), which also rechecks the work's eligibility and reads a
repeat's answer: a vote is two statements there (the locked read and that one) instead of
six, plus the recognition of the contribution. Once
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
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.challenges import service as challenges
from app.core.clock import utcnow
from app.core.db import NO_SYNC, rows_affected, upsert_insert
from app.core.domain_events import VoteCast, VoteWithdrawn, publish
from app.core.pagination import PageParams, asc, paginate
from app.i18n import N_
from app.models import Challenge, Member, Submission, Vote, VoteBudget, is_organizer
from app.problems.details import does_not_exist
from app.submissions import reads as work_reads
from app.submissions.exceptions import SubmissionNotFound
from app.votes.exceptions import (
    OwnSubmission,
    SubmissionDisqualified,
    VoteBudgetExhausted,
    VoteNotFound,
)
from app.votes.schemas import MyVotes, VotePublic, Voter, VoteRecord

_VOTING_DATES = ("submissions_open_at", "submissions_close_at", "voting_close_at")
# The work and its challenge in one statement, the challenge locked (shared) on PostgreSQL:
# a moderation takes it exclusively, so once the lock is held no work of the challenge is
# disqualified before this transaction commits. A work read while waiting for that lock may
# be stale: on PostgreSQL the vote's INSERT checks `disqualified` again
# (_cast_on_postgres_statement).
_CHALLENGES: sa.Table = Challenge.__table__  # type: ignore[attr-defined]
_WORK_FOR_VOTING = (
    sa.select(
        col(Submission.member_id),
        col(Submission.disqualified),
        col(Submission.hidden_at),
        *(_CHALLENGES.c[name] for name in ("id", "published", *_VOTING_DATES, "votes_per_member")),
    )
    .join(_CHALLENGES, _CHALLENGES.c.id == Submission.challenge_id)
    .where(col(Submission.id) == sa.bindparam("submission_id"))
    .with_for_update(read=True, of=_CHALLENGES)
)


@dataclass(frozen=True, slots=True)
class _Voting:
    """The challenge as a vote reads it (locked with the work, a Core row: no entity)."""

    id: int
    published: bool
    submissions_open_at: datetime
    submissions_close_at: datetime
    voting_close_at: datetime
    votes_per_member: int


class Budgeted(Protocol):
    """What a vote's answer reads of its challenge: a Challenge, or the row locked."""

    @property
    def id(self) -> int | None: ...

    @property
    def votes_per_member(self) -> int: ...


def _lock_for_voting(
    session: Session, *, submission_id: int, member: Member
) -> tuple[sa.Row[Any], _Voting]:
    """The work (the columns a vote reads) and its challenge, which must be in its voting
    phase (404 as for a read: a draft challenge's works and works hidden after a report
    exist only for organizers)."""
    found = session.execute(_WORK_FOR_VOTING, {"submission_id": submission_id}).first()
    if found is None or not _shown(found, member):
        raise does_not_exist(SubmissionNotFound, N_("Submission"), submission_id)
    challenge = _Voting(*found[3:])
    challenges.require_voting(challenge, utcnow())
    return found, challenge


def _shown(found: sa.Row[Any], member: Member) -> bool:
    """The rules of a read of the work (app.submissions.reads) for this member: `found`
    has the work's columns and its challenge's `published`."""
    return work_reads.sees(found, member) and (found.published or is_organizer(member))


def cast_vote(session: Session, *, submission_id: int, member: Member) -> VotePublic:
    """Votes for the work; voting again for it changes nothing (PUT is idempotent)."""
    submission, challenge = _lock_for_voting(session, submission_id=submission_id, member=member)
    if submission.member_id == member.id:
        raise OwnSubmission(N_("You cannot vote for your own work."))
    if submission.disqualified:
        raise SubmissionDisqualified(N_("This work was disqualified and takes no votes."))
    now = utcnow()
    assert member.id is not None and challenge.id is not None  # rows read back
    ballot = Ballot(challenge, submission_id=submission_id, member_id=member.id, at=now)
    if session.get_bind().dialect.name == "postgresql":
        outcome = _cast_on_postgres(session, ballot)
    else:
        outcome = _cast_step_by_step(session, ballot)
    if outcome.new:
        _publish(session, VoteCast, challenge=challenge, submission_id=submission_id, member=member)
    return _cast(challenge, submission_id=submission_id, created_at=outcome.at, used=outcome.used)


@dataclass(frozen=True)
class Ballot:
    challenge: Budgeted
    submission_id: int
    member_id: int
    at: datetime

    @property
    def values(self) -> dict[str, Any]:
        """The parameters of the statements built once below."""
        # Named unlike any column: an UPDATE would take a parameter named as a column for SET.
        return {
            "challenge": self.challenge.id,
            "work": self.submission_id,
            "voter": self.member_id,
            "cast_at": self.at,
            "budget": self.challenge.votes_per_member,
        }


@dataclass(frozen=True)
class Outcome:
    new: bool  # a vote was cast (False: it had been cast before)
    at: datetime  # when the vote was cast
    used: int  # the member's votes used in the challenge after it


_VOTES: sa.Table = Vote.__table__  # type: ignore[attr-defined]
_BUDGETS: sa.Table = VoteBudget.__table__  # type: ignore[attr-defined]
_WORKS: sa.Table = Submission.__table__  # type: ignore[attr-defined]


def _cast_on_postgres(session: Session, ballot: Ballot) -> Outcome:
    """The vote, the budget and the tally in one round trip: a statement whose parts run
    in the order vote, budget, work (each reads the one before it), the order of the locks
    everywhere. It also reads the vote and budget as they were before it, for a repeat."""
    row = session.execute(_cast_on_postgres_statement(), ballot.values).one()
    vote_id, used, tallied, cast_at, used_before = row
    if vote_id is not None:
        if used is None:
            raise _exhausted(ballot.challenge)
        assert tallied is not None  # the work is the one the vote was inserted for
        return Outcome(new=True, at=ballot.at, used=int(used))
    if cast_at is not None:
        return Outcome(new=False, at=cast_at, used=int(used_before or 0))
    # No vote was inserted and none was there when the statement began: either the work
    # was disqualified while this request waited for the challenge's lock, or the same
    # vote was committed by a concurrent request meanwhile (the INSERT waited for it).
    existing = _existing(session, ballot)
    if existing is None:
        raise SubmissionDisqualified(N_("This work was disqualified and takes no votes."))
    return existing


def _value(name: str, column: sa.Column[Any]) -> sa.BindParameter[Any]:
    return sa.bindparam(name, type_=column.type)


# The parameters of the statements built once below (Ballot.values).
_WORK = _value("work", _VOTES.c.submission_id)
_VOTER = _value("voter", _VOTES.c.member_id)
_CHALLENGE = _value("challenge", _VOTES.c.challenge_id)
_CAST_AT = _value("cast_at", _VOTES.c.created_at)
_VOTE_COLUMNS = ["challenge_id", "submission_id", "member_id", "created_at"]
_BUDGET_COLUMNS = ["challenge_id", "member_id", "allowance", "used"]
_NEW_BUDGET = (_CHALLENGE, _VOTER, _value("budget", _BUDGETS.c.allowance), sa.literal(1))


def _spending(insert: Any) -> Any:
    """The budget's first vote inserts its row (used = 1), every later one adds one only
    while some are left; the votes used after it (none: refused)."""
    return insert.on_conflict_do_update(
        index_elements=["challenge_id", "member_id"],
        set_={"used": _BUDGETS.c.used + 1},
        where=_BUDGETS.c.used < _BUDGETS.c.allowance,
    ).returning(_BUDGETS.c.used)


@cache
def _cast_on_postgres_statement() -> sa.Select[Any]:
    """Built once, at the first vote on PostgreSQL: making a statement (and its cache key)
    costs more than running it here, and a SQLite worker never loads the dialect's insert."""
    eligible = sa.select(_CHALLENGE, _WORK, _VOTER, _CAST_AT).where(
        _WORKS.c.id == _WORK, _WORKS.c.disqualified.is_(False)
    )
    inserted = (
        upsert_insert("postgresql", _VOTES)
        .from_select(_VOTE_COLUMNS, eligible)
        .on_conflict_do_nothing(index_elements=["member_id", "submission_id"])
        .returning(_VOTES.c.id)
        .cte("cast_vote")
    )
    new_budget = sa.select(*_NEW_BUDGET).select_from(inserted)
    spent = _spending(
        upsert_insert("postgresql", _BUDGETS).from_select(_BUDGET_COLUMNS, new_budget)
    )
    spent = spent.cte("spent")
    tallied = (
        sa.update(_WORKS)
        .where(_WORKS.c.id == _WORK, sa.exists(sa.select(spent.c.used)))
        .values(vote_count=_WORKS.c.vote_count + 1)
        .returning(_WORKS.c.id)
        .cte("tallied")
    )
    return sa.select(
        sa.select(inserted.c.id).scalar_subquery(),
        sa.select(spent.c.used).scalar_subquery(),
        sa.select(tallied.c.id).scalar_subquery(),
        # As they were when the statement began (a repeat's answer):
        *_ALREADY,
    )


# The member's vote for the work (when cast) and their budget's use.
_ALREADY = (
    sa.select(_VOTES.c.created_at)
    .where(_VOTES.c.member_id == _VOTER, _VOTES.c.submission_id == _WORK)
    .scalar_subquery(),
    sa.select(_BUDGETS.c.used)
    .where(_BUDGETS.c.challenge_id == _CHALLENGE, _BUDGETS.c.member_id == _VOTER)
    .scalar_subquery(),
)
_EXISTING = sa.select(*_ALREADY)


@cache
def _sqlite_statements() -> tuple[Any, Any]:
    """The vote's and the budget's statements on SQLite, built once at the first vote (a
    PostgreSQL worker never loads SQLite's dialect for them)."""
    cast_vote = (
        upsert_insert("sqlite", _VOTES)
        .values(dict(zip(_VOTE_COLUMNS, (_CHALLENGE, _WORK, _VOTER, _CAST_AT), strict=True)))
        .on_conflict_do_nothing(index_elements=["member_id", "submission_id"])
        .returning(_VOTES.c.id)
    )
    spend = _spending(
        upsert_insert("sqlite", _BUDGETS).values(
            dict(zip(_BUDGET_COLUMNS, _NEW_BUDGET, strict=True))
        )
    )
    return cast_vote, spend


_TALLY = (
    sa.update(_WORKS)
    .where(_WORKS.c.id == _WORK)
    .values(vote_count=_WORKS.c.vote_count + sa.bindparam("delta", type_=sa.Integer))
)


def _cast_step_by_step(session: Session, ballot: Ballot) -> Outcome:
    """SQLite (no INSERT inside WITH): the vote, then the budget and the tally when it is
    new. The transaction holds the database's write lock since it began, so the work read
    before is current and a repeat is read in one statement."""
    values = ballot.values
    cast_vote, spend = _sqlite_statements()
    if session.execute(cast_vote, values).first() is None:
        existing = _existing(session, ballot)
        assert existing is not None  # the INSERT met it
        return existing
    used = session.execute(spend, values).scalar_one_or_none()
    if used is None:
        raise _exhausted(ballot.challenge)
    _tally(session, submission_id=ballot.submission_id, delta=1)
    return Outcome(new=True, at=ballot.at, used=int(used))


def _existing(session: Session, ballot: Ballot) -> Outcome | None:
    cast_at, used = session.execute(_EXISTING, ballot.values).one()
    if cast_at is None:
        return None
    return Outcome(new=False, at=cast_at, used=int(used or 0))


def _cast(
    challenge: Budgeted, *, submission_id: int, created_at: datetime, used: int
) -> VotePublic:
    return VotePublic(
        submission_id=submission_id,
        challenge_id=challenge.id,  # type: ignore[arg-type]
        created_at=created_at,
        remaining=_left(challenge, used),
    )


def _left(challenge: Budgeted, used: int) -> int:
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
        raise VoteNotFound(N_("You have not voted for this work."))
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


def _exhausted(challenge: Budgeted) -> VoteBudgetExhausted:
    return VoteBudgetExhausted(
        N_(
            "You have cast all {budget} of your votes in this challenge; "
            "withdraw one to vote for another work."
        ),
        values={"budget": challenge.votes_per_member},
    )


def _tally(session: Session, *, submission_id: int, delta: int) -> None:
    session.execute(_TALLY, {"work": submission_id, "delta": delta})


def _publish(
    session: Session,
    kind: type[VoteCast | VoteWithdrawn],
    *,
    challenge: Budgeted,
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
