"""Submissions: entering works within the per-member limit, edits, withdrawal, moderation.

The limit holds under concurrency because a work is entered only after one conditional
UPDATE of the member's row in `challenge_participants` (`submission_count =
submission_count + 1 WHERE submission_count < :max`), taken while the challenge row is
locked; the challenge's counters move in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.challenges import ranking
from app.challenges import service as challenges
from app.challenges.exceptions import ChallengeNotFound
from app.challenges.schemas import ChallengePhase
from app.core.clock import utcnow
from app.core.db import NO_SYNC, upsert_insert
from app.core.domain_events import (
    SubmissionCreated,
    SubmissionDisqualified,
    SubmissionFeatured,
    SubmissionModerated,
    SubmissionReinstated,
    SubmissionUnfeatured,
    SubmissionWithdrawn,
    publish,
)
from app.core.errors import ProblemError
from app.core.tables import id_of
from app.i18n import N_
from app.media import access as media_access
from app.models import (
    Challenge,
    ChallengeParticipant,
    Member,
    Submission,
    Vote,
    VoteBudget,
)
from app.problems.details import does_not_exist
from app.submissions import attachments as work_media
from app.submissions import reads
from app.submissions.exceptions import (
    NotSubmissionAuthor,
    SubmissionLimitReached,
    SubmissionNotFound,
)
from app.submissions.schemas import (
    WORK_FIELDS,
    Moderation,
    ModerationAction,
    SubmissionAuthor,
    SubmissionCreate,
    SubmissionPublic,
    SubmissionUpdate,
)

# What each moderation action sets, the audit log's action and the domain event it publishes
# when it changes it.
MODERATION: dict[ModerationAction, tuple[str, bool, str, type[SubmissionModerated]]] = {
    ModerationAction.DISQUALIFY: (
        "disqualified",
        True,
        "submission.disqualified",
        SubmissionDisqualified,
    ),
    ModerationAction.REINSTATE: (
        "disqualified",
        False,
        "submission.reinstated",
        SubmissionReinstated,
    ),
    ModerationAction.FEATURE: ("featured", True, "submission.featured", SubmissionFeatured),
    ModerationAction.UNFEATURE: (
        "featured",
        False,
        "submission.unfeatured",
        SubmissionUnfeatured,
    ),
}


# --- who sees what (the rules: app.submissions.reads) ----------------------------------------


def get_visible(
    session: Session, *, submission_id: int, viewer: Member | None
) -> tuple[Submission, Challenge]:
    """The work and its challenge as entities, for a write or another feature's check, by
    the rules of `GET /submissions/{id}` (404 for a work the viewer may not see)."""
    found = session.execute(_WORK_AND_CHALLENGE, {"submission_id": submission_id}).first()
    if found is None or not reads.sees(found[0], viewer):
        raise does_not_exist(SubmissionNotFound, N_("Submission"), submission_id)
    submission, challenge = found[0], found[1]
    try:
        challenges.check_visible(challenge, submission.challenge_id, viewer)
    except ChallengeNotFound as error:
        raise does_not_exist(SubmissionNotFound, N_("Submission"), submission_id) from error
    reads.require_readable(challenge, viewer=viewer)
    return submission, challenge


# Built once: making a statement (and its cache key) costs more than running it here.
_WORK_AND_CHALLENGE = (
    sa.select(Submission, Challenge)
    .join(Challenge, col(Challenge.id) == Submission.challenge_id)
    .where(col(Submission.id) == sa.bindparam("submission_id"))
)


@media_access.register
def shows_media(session: Session, media_id: int, viewer: Member | None) -> bool:
    """Whether the media is a file of a work this viewer may see (the rules of
    `GET /submissions/{id}`)."""
    for submission_id in work_media.attached_to(session, media_id=media_id):
        try:
            get_visible(session, submission_id=submission_id, viewer=viewer)
        except ProblemError:
            continue
        return True
    return False


def _lock_submission(session: Session, submission_id: int) -> Submission:
    statement = (
        select(Submission)
        .where(Submission.id == submission_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    submission = session.exec(statement).first()
    if submission is None:
        raise does_not_exist(SubmissionNotFound, N_("Submission"), submission_id)
    return submission


def lock_own(
    session: Session, *, submission_id: int, member: Member, exclusive: bool = False
) -> tuple[Submission, Challenge]:
    """The caller's own work and its challenge, both locked (the challenge first)."""
    submission, _ = get_visible(session, submission_id=submission_id, viewer=member)
    if submission.member_id != member.id:
        raise NotSubmissionAuthor(N_("Only the author may change or withdraw a work."))
    challenge = challenges.lock(
        session, challenge_id=submission.challenge_id, viewer=member, exclusive=exclusive
    )
    return _lock_submission(session, submission_id), challenge


# --- presenting (reads, for the works a write returns and other features show) --------------


def _authors(session: Session, member_ids: set[int]) -> dict[int, SubmissionAuthor]:
    if not member_ids:
        return {}
    rows = session.execute(reads.AUTHORS, {"member_ids": list(member_ids)})
    return {row.member_id: reads.author_of(row) for row in rows}


def present_many(
    session: Session,
    submissions: Sequence[Submission],
    *,
    of: Iterable[Challenge],
    viewer: Member | None,
) -> list[SubmissionPublic]:
    """Works (of the challenges `of`) as the viewer sees them, with one query for all
    their authors and one for all their files."""
    authors = _authors(session, {s.member_id for s in submissions})
    media = work_media.media_of(session, [id_of(s) for s in submissions])
    now, of = utcnow(), list(of)
    phases = {c.id: challenges.phase_of(c, now) for c in of}
    blind = {c.id for c in of if reads.judged_blind(c, viewer, phases[c.id])}
    return [
        reads.shown(
            submission,
            authors[submission.member_id],
            media=media[id_of(submission)],
            closed=phases[submission.challenge_id] == ChallengePhase.CLOSED,
            blind=submission.challenge_id in blind,
            viewer=viewer,
        )
        for submission in submissions
    ]


def present(
    session: Session, submission: Submission, *, challenge: Challenge, viewer: Member | None
) -> SubmissionPublic:
    return present_many(session, [submission], of=[challenge], viewer=viewer)[0]


# --- entering, editing, withdrawing --------------------------------------------------------


def _take_quota(session: Session, *, challenge: Challenge, member_id: int) -> bool:
    """Counts one more work for the member, or refuses; True for their first. One
    statement: the member's first work inserts their row (count 1; every challenge allows
    at least one), every later one adds one only while under the limit."""
    count = col(ChallengeParticipant.submission_count)
    statement = (
        upsert_insert(session, ChallengeParticipant)
        .values(challenge_id=challenge.id, member_id=member_id, submission_count=1)
        .on_conflict_do_update(
            index_elements=["challenge_id", "member_id"],
            set_={"submission_count": count + 1},
            where=count < challenge.max_submissions_per_member,
        )
        .returning(count)
    )
    taken = session.execute(statement, execution_options=NO_SYNC).scalar_one_or_none()
    if taken is None:
        raise SubmissionLimitReached(
            N_(
                "You have entered {limit} work(s) in this "
                "challenge, its limit per member; withdraw one to enter another."
            ),
            values={"limit": challenge.max_submissions_per_member},
        )
    return bool(taken == 1)


def create_submission(
    session: Session, *, challenge_id: int, member: Member, data: SubmissionCreate
) -> tuple[Submission, Challenge]:
    challenge = challenges.lock(session, challenge_id=challenge_id, viewer=member, exclusive=True)
    challenges.require_open(challenge, utcnow())
    first = _take_quota(session, challenge=challenge, member_id=member.id)  # type: ignore[arg-type]
    submission = Submission(
        challenge_id=challenge_id,
        member_id=member.id,  # type: ignore[arg-type]
        **data.model_dump(exclude={"media_ids"}),
    )
    session.add(submission)
    session.flush()
    assert submission.id is not None  # flushed
    work_media.replace(
        session,
        submission_id=submission.id,
        author_id=submission.member_id,
        media_ids=data.media_ids,
        fresh=True,
    )
    challenges.adjust_counts(
        session, challenge_id=challenge_id, submission_count=1, participant_count=int(first)
    )
    publish(
        session,
        SubmissionCreated(
            actor_id=member.id, challenge_id=challenge_id, submission_id=submission.id
        ),
    )
    return submission, challenge


def update_submission(
    session: Session, *, submission: Submission, challenge: Challenge, changes: SubmissionUpdate
) -> Submission:
    """The work itself changes only while open; license and anthology consent any time."""
    sent = changes.model_dump(exclude_unset=True)
    if WORK_FIELDS & sent.keys():
        challenges.require_open(challenge, utcnow())
    if "media_ids" in sent:
        work_media.replace(
            session,
            submission_id=submission.id,  # type: ignore[arg-type]
            author_id=submission.member_id,
            media_ids=sent.pop("media_ids"),
        )
    for field, value in sent.items():
        setattr(submission, field, value)
    submission.updated_at = utcnow()
    session.add(submission)
    session.flush()
    return submission


def withdraw(session: Session, *, submission_id: int, member: Member) -> None:
    """The author takes a work back while the challenge is open; its votes (possible only
    if dates were moved back) are returned to the voters' budgets."""
    submission, challenge = lock_own(
        session, submission_id=submission_id, member=member, exclusive=True
    )
    challenges.require_open(challenge, utcnow())
    _refund_voters(session, submission_id=submission_id, challenge_id=submission.challenge_id)
    # Its files go with it, unless the author shows them elsewhere too.
    work_media.withdraw_media(session, submission_ids=[submission_id])
    session.execute(sa.delete(Submission).where(col(Submission.id) == submission_id))
    count = col(ChallengeParticipant.submission_count)
    left = session.execute(
        sa.update(ChallengeParticipant)
        .where(
            col(ChallengeParticipant.challenge_id) == challenge.id,
            col(ChallengeParticipant.member_id) == member.id,
        )
        .values(submission_count=count - 1)
        .returning(count),
        execution_options=NO_SYNC,
    ).scalar_one()
    challenges.adjust_counts(
        session,
        challenge_id=submission.challenge_id,
        submission_count=-1,
        participant_count=-int(left == 0),
    )
    session.expunge(submission)
    publish(
        session,
        SubmissionWithdrawn(
            actor_id=member.id, challenge_id=submission.challenge_id, submission_id=submission_id
        ),
    )


def _refund_voters(session: Session, *, submission_id: int, challenge_id: int) -> None:
    voters = select(Vote.member_id).where(Vote.submission_id == submission_id)
    statement = (
        sa.update(VoteBudget)
        .where(
            col(VoteBudget.challenge_id) == challenge_id,
            col(VoteBudget.member_id).in_(voters),
        )
        .values(used=col(VoteBudget.used) - 1)
    )
    session.execute(statement, execution_options=NO_SYNC)


# --- moderation ----------------------------------------------------------------------------


def moderate(
    session: Session, *, submission_id: int, organizer: Member, data: Moderation
) -> tuple[Submission, Challenge]:
    """Disqualify, reinstate, feature or unfeature; repeating an action changes nothing.

    Winners and the showcase are re-derived at once: disqualifying a winner of a closed
    challenge promotes the next work, featuring one shows it from the closing on.
    """
    found = session.get(Submission, submission_id)
    if found is None:
        raise does_not_exist(SubmissionNotFound, N_("Submission"), submission_id)
    challenge = challenges.lock(
        session, challenge_id=found.challenge_id, viewer=organizer, exclusive=True
    )
    submission = _lock_submission(session, submission_id)
    field, value, action, moderated = MODERATION[data.action]
    if getattr(submission, field) == value:
        return submission, challenge
    now = utcnow()
    audit.record(
        session,
        actor=organizer,
        action=action,
        target_type="submission",
        target_id=submission_id,
        changes=audit.diff(
            {field: getattr(submission, field), "reason": submission.moderation_reason},
            {field: value, "reason": data.reason},
        ),
    )
    setattr(submission, field, value)
    submission.moderation_reason = data.reason
    submission.updated_at = now
    session.add(submission)
    session.flush()
    closed = challenges.phase_of(challenge, now) == ChallengePhase.CLOSED
    ranking.refresh(session, challenge, closed=closed, now=now)
    session.refresh(submission)
    publish(
        session,
        moderated(
            actor_id=organizer.id,
            challenge_id=submission.challenge_id,
            submission_id=submission_id,
            member_id=submission.member_id,
            reason=data.reason,
        ),
    )
    return submission, challenge
