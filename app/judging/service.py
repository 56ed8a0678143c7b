"""Jurors' scores: given during voting, replaced on re-score, summed per work as they come.

Each rule holds under concurrent requests:
- one score row per juror and work: the unique (juror_id, submission_id) constraint, met by
  `INSERT … ON CONFLICT DO UPDATE`, which copies the replaced `total` and `scores` into
  `previous_*` and returns them: the statement that replaces a score also says what it
  replaced, read from the row it locked, so two re-scores at once each see the other's;
- the work's sums move by the difference in the same transaction (`jury_total`,
  `juror_count` on the work, one `submission_criterion_scores` row per criterion, each an
  `… = … + :delta`), so they always equal a fresh aggregate of the scores;
- scores count only while voting: the challenge row is locked (shared, as votes do) before
  anything is written, so a score either commits before the ranking at closing or sees
  `closed`.
Rows are locked in one order everywhere (challenge, score, work, criteria by key), so
concurrent scores queue instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from app.challenges import judging
from app.challenges import service as challenges
from app.challenges.schemas import ChallengePhase
from app.core.clock import utcnow
from app.core.db import NO_SYNC, holds_write_lock, upsert_insert
from app.core.pagination import PageParams, asc, paginate
from app.i18n import N_
from app.judging.exceptions import (
    ConflictOfInterest,
    JudgingClosed,
    MissingCriterion,
    NotAJuror,
    UnknownCriterion,
)
from app.judging.schemas import (
    AuthorScore,
    JudgingProgress,
    JurorProgress,
    ScoreIn,
    ScorePublic,
    ScoreRecord,
)
from app.models import (
    Challenge,
    JuryScore,
    Member,
    Mentorship,
    MentorshipStatus,
    Submission,
    SubmissionCriterionScore,
    is_organizer,
)
from app.problems.details import does_not_exist
from app.submissions import service as submissions
from app.submissions.exceptions import NotSubmissionAuthor, SubmissionNotFound
from app.votes.exceptions import SubmissionDisqualified

# A mentorship that was ever under way: the mentor may not judge that mentee's work.
MENTORED = (MentorshipStatus.ACCEPTED.value, MentorshipStatus.COMPLETED.value)


def _lock_for_judging(
    session: Session, *, submission_id: int, juror: Member
) -> tuple[Submission, Challenge]:
    submission, challenge = submissions.get_visible(
        session, submission_id=submission_id, viewer=juror
    )
    if not holds_write_lock(session):
        challenge = challenges.lock(
            session, challenge_id=submission.challenge_id, viewer=juror, exclusive=False
        )
        current = session.exec(
            select(Submission)
            .where(Submission.id == submission_id)
            .execution_options(populate_existing=True)
        ).first()
        if current is None:
            raise does_not_exist(SubmissionNotFound, N_("Submission"), submission_id)
        submission = current
    return submission, challenge


def _check_may_score(
    session: Session, *, submission: Submission, challenge: Challenge, juror: Member
) -> judging.Setup:
    setup = judging.setup_of(challenge)
    if not setup.judged or juror.id not in setup.juror_ids:
        raise NotAJuror(
            N_("You are not a juror of challenge {challenge}."), values={"challenge": challenge.id}
        )
    if challenges.phase_of(challenge, utcnow()) != ChallengePhase.VOTING:
        raise JudgingClosed(N_("Jurors score works only while the challenge is voting."))
    if submission.member_id == juror.id:
        raise ConflictOfInterest(N_("You cannot judge your own work."))
    assert juror.id is not None  # a member read from the database
    if _mentored(session, mentor_id=juror.id, mentee_id=submission.member_id):
        raise ConflictOfInterest(N_("You cannot judge the work of someone you mentor or mentored."))
    if submission.disqualified:
        raise SubmissionDisqualified(N_("This work was disqualified and takes no scores."))
    return setup


def _mentored(session: Session, *, mentor_id: int, mentee_id: int) -> bool:
    statement = select(Mentorship.id).where(
        Mentorship.mentor_id == mentor_id,
        Mentorship.mentee_id == mentee_id,
        col(Mentorship.status).in_(MENTORED),
    )
    return session.exec(statement.limit(1)).first() is not None


def _check_rubric(setup: judging.Setup, scores: dict[str, int]) -> None:
    keys = [criterion.key for criterion in setup.criteria]
    for key in keys:
        if key not in scores:
            raise MissingCriterion(
                N_("Every criterion needs a score; `{key}` is missing."),
                values={"key": key},
                loc=["body", "scores"],
            )
    for key in scores:
        if key not in keys:
            raise UnknownCriterion(
                N_("`{key}` is not a criterion of this challenge."),
                values={"key": key},
                loc=["body", "scores", key],
            )


def score_work(
    session: Session, *, submission_id: int, juror: Member, data: ScoreIn
) -> ScorePublic:
    """Scores the work (or replaces the juror's earlier scores of it)."""
    submission, challenge = _lock_for_judging(session, submission_id=submission_id, juror=juror)
    setup = _check_may_score(session, submission=submission, challenge=challenge, juror=juror)
    _check_rubric(setup, data.scores)
    now = utcnow()
    total = setup.total(data.scores)
    insert = upsert_insert(session, JuryScore).values(
        challenge_id=challenge.id,
        submission_id=submission_id,
        juror_id=juror.id,
        scores=data.scores,
        total=total,
        note=data.note,
        previous_scores=None,
        previous_total=None,
        created_at=now,
        updated_at=now,
    )
    table = JuryScore.__table__  # type: ignore[attr-defined]
    insert = insert.on_conflict_do_update(
        index_elements=["juror_id", "submission_id"],
        set_={
            "previous_scores": table.c.scores,
            "previous_total": table.c.total,
            "scores": insert.excluded.scores,
            "total": insert.excluded.total,
            "note": insert.excluded.note,
            "updated_at": insert.excluded.updated_at,
        },
    ).returning(table.c.previous_total, table.c.previous_scores, table.c.created_at)
    previous_total, previous_scores, created_at = session.execute(insert).one()
    first = previous_total is None
    _move_sums(
        session,
        submission_id=submission_id,
        total=total - (previous_total or 0),
        jurors=int(first),
        criteria={
            key: value - (0 if first else int(previous_scores.get(key, 0)))
            for key, value in data.scores.items()
        },
    )
    return ScorePublic(
        submission_id=submission_id,
        challenge_id=challenge.id,  # type: ignore[arg-type]
        scores=data.scores,
        note=data.note,
        jury_score=_mean(setup, total),
        created_at=created_at,
        updated_at=now,
    )


def _move_sums(
    session: Session, *, submission_id: int, total: int, jurors: int, criteria: dict[str, int]
) -> None:
    """The work's sums move by the difference, in SQL (never read, added, written back)."""
    if total or jurors:
        session.execute(
            sa.update(Submission)
            .where(col(Submission.id) == submission_id)
            .values(
                jury_total=col(Submission.jury_total) + total,
                juror_count=col(Submission.juror_count) + jurors,
            ),
            execution_options=NO_SYNC,
        )
    if jurors:
        _add_criteria(session, submission_id=submission_id, criteria=criteria)
        return
    moved = {key: delta for key, delta in sorted(criteria.items()) if delta}
    if not moved:
        return
    # A re-score: the rows exist (the juror's first score made them); one UPDATE moves
    # each by its own difference, which may be negative.
    criterion = col(SubmissionCriterionScore.criterion_key)
    session.execute(
        sa.update(SubmissionCriterionScore)
        .where(
            col(SubmissionCriterionScore.submission_id) == submission_id,
            criterion.in_(list(moved)),
        )
        .values(
            score_sum=col(SubmissionCriterionScore.score_sum)
            + sa.case(*((criterion == key, delta) for key, delta in moved.items()), else_=0)
        ),
        execution_options=NO_SYNC,
    )


def _add_criteria(session: Session, *, submission_id: int, criteria: dict[str, int]) -> None:
    """A juror's first score of the work adds to each criterion's sum (its row made by the
    work's first score)."""
    rows = [
        {"submission_id": submission_id, "criterion_key": key, "score_sum": value}
        for key, value in sorted(criteria.items())
    ]
    insert = upsert_insert(session, SubmissionCriterionScore).values(rows)
    insert = insert.on_conflict_do_update(
        index_elements=["submission_id", "criterion_key"],
        set_={"score_sum": col(SubmissionCriterionScore.score_sum) + insert.excluded.score_sum},
    )
    session.execute(insert)


def _mean(setup: judging.Setup, total: int) -> float:
    return judging.shown(Fraction(total, setup.weight_sum)) or 0.0


# --- the organizers' progress view ----------------------------------------------------------


def progress(session: Session, *, challenge: Challenge, params: PageParams) -> JudgingProgress:
    """Every score given (a page, in the order given) and each juror's count."""
    statement = select(JuryScore).where(JuryScore.challenge_id == challenge.id)
    rows, next_cursor = paginate(session, statement, keys=[asc(JuryScore.id)], params=params)
    counts: dict[int, int] = dict(
        session.execute(
            sa.select(col(JuryScore.juror_id), sa.func.count())
            .where(col(JuryScore.challenge_id) == challenge.id)
            .group_by(col(JuryScore.juror_id))
        ).all()
    )
    setup = judging.public(challenge)
    works = challenge.submission_count
    return JudgingProgress(
        items=[
            ScoreRecord(
                juror_id=row.juror_id, submission_id=row.submission_id, scored_at=row.updated_at
            )
            for row in rows
        ],
        next_cursor=next_cursor,
        judging=setup,
        works=works,
        jurors=[
            JurorProgress(
                juror_id=juror_id,
                scored=counts.get(juror_id, 0),
                to_score=max(works - counts.get(juror_id, 0), 0),
            )
            for juror_id in setup.juror_ids
        ],
    )


# --- the author's view, once closed ---------------------------------------------------------


def author_scores(
    session: Session, *, submission_id: int, viewer: Member, params: PageParams
) -> tuple[list[AuthorScore], str | None]:
    """The jurors' scores and notes on a work, for its author (and organizers) once the
    challenge closed; the jurors are not named."""
    submission, challenge = submissions.get_visible(
        session, submission_id=submission_id, viewer=viewer
    )
    if submission.member_id != viewer.id and not is_organizer(viewer):
        raise NotSubmissionAuthor(N_("Only the author (and organizers) read a work's jury notes."))
    challenges.require_closed(challenge, utcnow())
    setup = judging.setup_of(challenge)
    statement = select(JuryScore).where(JuryScore.submission_id == submission_id)
    rows, next_cursor = paginate(session, statement, keys=[asc(JuryScore.id)], params=params)
    return [_as_author_sees(setup, row) for row in rows], next_cursor


def _as_author_sees(setup: judging.Setup, row: JuryScore) -> AuthorScore:
    return AuthorScore(
        scores={key: int(value) for key, value in row.scores.items()},
        note=row.note,
        jury_score=_mean(setup, row.total) if setup.criteria else 0.0,
    )


# --- for the results --------------------------------------------------------------------------


class Identified(Protocol):
    """A work as `breakdowns` reads it: an entity, or a read model's row."""

    @property
    def id(self) -> int | None: ...


def breakdowns(
    session: Session | Connection, works: Sequence[Identified]
) -> dict[int, dict[str, int]]:
    """Each work's per-criterion score sums, for a page of works in one query."""
    ids = [work.id for work in works]
    found: dict[int, dict[str, int]] = {work_id: {} for work_id in ids if work_id is not None}
    if not ids:
        return found
    rows = session.execute(
        sa.select(
            col(SubmissionCriterionScore.submission_id),
            col(SubmissionCriterionScore.criterion_key),
            col(SubmissionCriterionScore.score_sum),
        ).where(col(SubmissionCriterionScore.submission_id).in_(ids))
    )
    for work_id, key, total in rows:
        found[work_id][key] = total
    return found
