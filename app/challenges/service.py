"""Challenges: creation and series, who sees what, the derived phase, edits and deletion.

The phase is never stored: it is computed from the dates and the clock when a challenge is
read (`phase_of`) or filtered (`phase_condition`), so an organizer who moves a date moves
the phase with it.

Locking, for the rules that hold under concurrency: every write that depends on a
challenge's phase or rules locks its row first. Votes take a shared lock (`FOR SHARE`:
many at once); writes that change the challenge or its standings (submissions, edits,
moderation, the phase sweep) take the exclusive one. So a vote that saw `voting` commits
before the sweep ranks the challenge, or sees `closed`; no tally changes after ranking.
Rows of one challenge are always locked after the challenge row, so nothing deadlocks.
(SQLite ignores these locks: it runs one writer at a time.)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.challenges import judging, ranking
from app.challenges.exceptions import (
    CannotUnpublish,
    ChallengeNotClosed,
    ChallengeNotFound,
    ChallengeNotOpen,
    ChallengeNotVoting,
    DatesOutOfOrder,
    JudgingLocked,
    UnknownJurors,
)
from app.challenges.schemas import (
    ChallengeCreate,
    ChallengeFilters,
    ChallengePhase,
    ChallengePublic,
    ChallengeUpdate,
    Judging,
)
from app.core.clock import utcnow
from app.core.db import NO_SYNC, READ_ONLY_OPTION
from app.core.pagination import PageParams, desc, paginate
from app.i18n import N_
from app.media import access as media_access
from app.media import attachments
from app.media.presenters import media_by_id
from app.models import (
    Challenge,
    JuryScore,
    Member,
    Submission,
    SubmissionMedia,
    VoteBudget,
    is_organizer,
)
from app.problems.details import does_not_exist
from app.recurrence import save_series, series_starts

DATE_FIELDS = ("submissions_open_at", "submissions_close_at", "voting_close_at")


# --- who sees what -------------------------------------------------------------------------


class Dated(Protocol):
    """What the phase and visibility rules read of a challenge: an entity, or a row of a
    read model with these columns under their names."""

    @property
    def published(self) -> bool: ...
    @property
    def submissions_open_at(self) -> datetime: ...
    @property
    def submissions_close_at(self) -> datetime: ...
    @property
    def voting_close_at(self) -> datetime: ...


class Named(Dated, Protocol):
    """A challenge as a rule that names it in its refusal reads it."""

    @property
    def id(self) -> int | None: ...


D = TypeVar("D", bound=Dated)


def check_visible(challenge: D | None, challenge_id: int, viewer: Member | None) -> D:
    """The challenge as read, or 404: drafts exist only for organizers."""
    if challenge is None or not (challenge.published or is_organizer(viewer)):
        raise does_not_exist(ChallengeNotFound, N_("Challenge"), challenge_id)
    return challenge


# Built once: every request under /challenges/{id}/ reads its challenge first, and
# Session.get builds its statement anew each time (a sixth of a page of works).
_CHALLENGE_BY_ID = select(Challenge).where(col(Challenge.id) == sa.bindparam("challenge_id"))


def get_visible(session: Session, *, challenge_id: int, viewer: Member | None) -> Challenge:
    """The challenge, or 404: drafts exist only for organizers."""
    found = session.exec(_CHALLENGE_BY_ID, params={"challenge_id": challenge_id}).first()
    return check_visible(found, challenge_id, viewer)


def lock(
    session: Session, *, challenge_id: int, viewer: Member | None, exclusive: bool
) -> Challenge:
    """The challenge re-read under a row lock: shared for votes, exclusive for changes.

    The exclusive lock is `FOR NO KEY UPDATE`, the lock an UPDATE takes: it leaves inserts
    that merely reference the challenge (foreign keys) alone.
    """
    statement = (
        select(Challenge)
        .where(Challenge.id == challenge_id)
        .with_for_update(read=not exclusive, key_share=exclusive)
        .execution_options(populate_existing=True)
    )
    return check_visible(session.exec(statement).first(), challenge_id, viewer)


# --- the phase -----------------------------------------------------------------------------


def phase_of(challenge: Dated, now: datetime) -> ChallengePhase:
    if not challenge.published:
        return ChallengePhase.DRAFT
    if now < challenge.submissions_open_at:
        return ChallengePhase.UPCOMING
    if now < challenge.submissions_close_at:
        return ChallengePhase.OPEN
    if now < challenge.voting_close_at:
        return ChallengePhase.VOTING
    return ChallengePhase.CLOSED


def phase_condition(phase: ChallengePhase, now: datetime) -> sa.ColumnElement[bool]:
    """The same rule as `phase_of`, as SQL for list filters."""
    published = col(Challenge.published).is_(True)
    opens, closes = col(Challenge.submissions_open_at), col(Challenge.submissions_close_at)
    voting_closes = col(Challenge.voting_close_at)
    return {
        ChallengePhase.DRAFT: col(Challenge.published).is_(False),
        ChallengePhase.UPCOMING: sa.and_(published, opens > now),
        ChallengePhase.OPEN: sa.and_(published, opens <= now, closes > now),
        ChallengePhase.VOTING: sa.and_(published, closes <= now, voting_closes > now),
        ChallengePhase.CLOSED: sa.and_(published, voting_closes <= now),
    }[phase]


def require_open(challenge: Challenge, now: datetime) -> None:
    if phase_of(challenge, now) != ChallengePhase.OPEN:
        raise ChallengeNotOpen(
            N_("Challenge {challenge} is not open for submissions."),
            values={"challenge": challenge.id},
        )


def require_voting(challenge: Named, now: datetime) -> None:
    if phase_of(challenge, now) != ChallengePhase.VOTING:
        raise ChallengeNotVoting(
            N_("Challenge {challenge} is not in its voting phase."),
            values={"challenge": challenge.id},
        )


def require_closed(challenge: Named, now: datetime) -> None:
    if phase_of(challenge, now) != ChallengePhase.CLOSED:
        raise ChallengeNotClosed(
            N_("Challenge {challenge} has not closed yet."), values={"challenge": challenge.id}
        )


def ensure_ranked(session: Session, challenge: Challenge, *, viewer: Member | None) -> Challenge:
    """A closed challenge whose ranking is read: a judged one ranks by the scores written
    at ranking time, so if the sweep has not ranked it yet it is ranked now, under the lock
    the sweep takes (whoever comes second finds it ranked). Votes need no such step.

    A GET reads in a read-only Session: the ranking is then written in a Session of its own,
    committed, and the read starts a fresh snapshot to see it."""
    if challenge.ranked_at is not None or not judging.setup_of(challenge).judged:
        return challenge
    assert challenge.id is not None  # read from the database
    writer = _writable(session)
    if writer is None:
        return _rank_now(session, challenge_id=challenge.id, viewer=viewer)
    with Session(writer, expire_on_commit=False) as own:
        _rank_now(own, challenge_id=challenge.id, viewer=viewer)
        own.commit()
    session.commit()  # ends the read's snapshot (it wrote nothing)
    statement = _CHALLENGE_BY_ID.execution_options(populate_existing=True)
    found = session.exec(statement, params={"challenge_id": challenge.id}).first()
    return check_visible(found, challenge.id, viewer)


def _rank_now(session: Session, *, challenge_id: int, viewer: Member | None) -> Challenge:
    locked = lock(session, challenge_id=challenge_id, viewer=viewer, exclusive=True)
    if locked.ranked_at is None:
        ranking.refresh(session, locked, closed=True, now=utcnow())
    return locked


def _writable(session: Session) -> Engine | None:
    """The engine to write with when `session` is a read-only request's, else None."""
    bind = session.get_bind()
    if not isinstance(bind, Engine) or not bind.get_execution_options().get(READ_ONLY_OPTION):
        return None
    options: dict[str, Any] = {READ_ONLY_OPTION: False}
    if bind.dialect.name == "postgresql":
        options["isolation_level"] = "READ COMMITTED"
    return bind.execution_options(**options)


# --- presenting and listing ----------------------------------------------------------------


def present(session: Session, challenge: Challenge) -> ChallengePublic:
    return present_many(session, [challenge])[0]


def present_many(session: Session, challenges: Sequence[Challenge]) -> list[ChallengePublic]:
    """Challenges with their phase now and their covers (one query for all covers)."""
    now = utcnow()
    covers = media_by_id(session, (c.cover_media_id for c in challenges if c.cover_media_id))
    return [
        ChallengePublic.model_validate(
            {
                **challenge.model_dump(),
                "phase": phase_of(challenge, now),
                "judging": judging.public(challenge),
                "cover": covers.get(challenge.cover_media_id) if challenge.cover_media_id else None,
            }
        )
        for challenge in challenges
    ]


@media_access.register
def shows_cover(session: Session, media_id: int, viewer: Member | None) -> bool:
    """Whether the media is the cover of a challenge this viewer may see."""
    statement = select(Challenge).where(col(Challenge.cover_media_id) == media_id)
    if not is_organizer(viewer):
        statement = statement.where(col(Challenge.published).is_(True))
    return session.exec(statement.limit(1)).first() is not None


def list_challenges(
    session: Session, *, filters: ChallengeFilters, params: PageParams, viewer: Member | None
) -> tuple[list[Challenge], str | None]:
    """Newest first (by opening date); drafts only for organizers."""
    statement = select(Challenge)
    if not is_organizer(viewer):
        statement = statement.where(col(Challenge.published).is_(True))
    if filters.phase is not None:
        statement = statement.where(phase_condition(filters.phase, utcnow()))
    if filters.discipline is not None:
        statement = statement.where(Challenge.discipline == filters.discipline)
    if filters.series_id is not None:
        statement = statement.where(Challenge.series_id == filters.series_id)
    keys = [desc(Challenge.submissions_open_at), desc(Challenge.id)]
    return paginate(session, statement, keys=keys, params=params)


# --- creating: single challenges and series ------------------------------------------------


def create_challenge(session: Session, *, organizer: Member, data: ChallengeCreate) -> Challenge:
    """Creates the challenge, or every challenge of a series; returns the first.

    Only the opening is stepped (on the UTC clock: a challenge has no time zone); each
    challenge keeps the first one's durations, so its dates stay in order."""
    fields = data.model_dump(exclude={"repeat", "judging", *DATE_FIELDS})
    if data.judging is not None:
        _check_jurors(session, data.judging)
        fields["judging"] = judging.stored(data.judging)
    _attach_cover(session, cover_media_id=data.cover_media_id, actor=organizer)
    submitting = data.submissions_close_at - data.submissions_open_at
    voting = data.voting_close_at - data.submissions_close_at
    challenges = [
        Challenge(
            **fields,
            submissions_open_at=opens,
            submissions_close_at=opens + submitting,
            voting_close_at=opens + submitting + voting,
            created_by_id=organizer.id,
        )
        for opens in series_starts(data.submissions_open_at, data.repeat, zone=UTC)
    ]
    save_series(session, challenges, data.repeat)
    return challenges[0]


# --- editing and deleting ------------------------------------------------------------------


def update_challenge(
    session: Session,
    *,
    challenge: Challenge,
    changes: ChallengeUpdate,
    actor: Member | None = None,
    now: datetime | None = None,
) -> Challenge:
    """Applies the changes to a locked challenge. Dates may move at any time (the phase
    follows); moving them back never repeats an announcement already made (the markers
    stay). Winners are re-derived, since dates, `winners_count` or closing may change them."""
    now = now or utcnow()
    sent = changes.model_dump(exclude_unset=True)
    dates = [sent.get(field, getattr(challenge, field)) for field in DATE_FIELDS]
    if not dates[0] < dates[1] < dates[2]:
        raise DatesOutOfOrder()
    if sent.get("published") is False and challenge.published:
        _check_can_unpublish(challenge, now)
    if changes.judging is not None:
        sent["judging"] = _changed_judging(session, challenge, changes.judging, now=now)
    if actor is not None:
        _attach_cover(session, cover_media_id=sent.get("cover_media_id"), actor=actor)
    _audit_date_moves(session, challenge=challenge, sent=sent, actor=actor)
    if "votes_per_member" in sent:
        _resize_vote_budgets(session, challenge_id=challenge.id, allowance=sent["votes_per_member"])  # type: ignore[arg-type]
    for field, value in sent.items():
        setattr(challenge, field, value)
    challenge.updated_at = now
    session.add(challenge)
    session.flush()
    ranking.refresh(
        session, challenge, closed=phase_of(challenge, now) == ChallengePhase.CLOSED, now=now
    )
    return challenge


def _check_jurors(session: Session, setup: Judging) -> None:
    """422 naming every juror who is not an active member."""
    if not setup.juror_ids:
        return
    found = set(
        session.exec(
            select(Member.id).where(
                col(Member.id).in_(setup.juror_ids), col(Member.is_active).is_(True)
            )
        )
    )
    for index, juror_id in enumerate(setup.juror_ids):
        if juror_id not in found:
            raise UnknownJurors(
                N_("Member {juror_id} is not an active member and cannot be a juror."),
                values={"juror_id": juror_id},
                loc=["body", "judging", "juror_ids", index],
            )


def _changed_judging(
    session: Session, challenge: Challenge, setup: Judging, *, now: datetime
) -> dict[str, object]:
    """The new setup as stored; 409 once voting started or a juror scored (sending the
    current setup again changes nothing and is allowed)."""
    wanted = judging.stored(setup)
    if wanted == judging.public(challenge).model_dump(mode="json"):
        return wanted
    scored = session.exec(
        select(JuryScore.id).where(JuryScore.challenge_id == challenge.id).limit(1)
    ).first()
    if judging.locked(phase_of(challenge, now)) or scored is not None:
        raise JudgingLocked(
            N_("The jury and rubric are fixed once voting starts (or a juror has scored).")
        )
    _check_jurors(session, setup)
    return wanted


def _audit_date_moves(
    session: Session, *, challenge: Challenge, sent: dict[str, Any], actor: Member | None
) -> None:
    moved = audit.diff(
        audit.snapshot(challenge, DATE_FIELDS),
        {field: sent[field] for field in DATE_FIELDS if field in sent},
    )
    if moved:
        audit.record(
            session,
            actor=actor,
            action="challenge.dates_moved",
            target_type="challenge",
            target_id=challenge.id,  # type: ignore[arg-type]
            changes=moved,
        )


def _check_can_unpublish(challenge: Challenge, now: datetime) -> None:
    if phase_of(challenge, now) != ChallengePhase.UPCOMING:
        raise CannotUnpublish(
            N_(
                "Only an upcoming challenge can go back to draft; members may already "
                "have entered works or been told it opened."
            )
        )


def _resize_vote_budgets(session: Session, *, challenge_id: int, allowance: int) -> None:
    """Keeps every member's allowance at the new `votes_per_member`, never below what they
    already used: lowering the budget mid-vote keeps the votes cast, leaving none to spend."""
    used = col(VoteBudget.used)
    statement = (
        sa.update(VoteBudget)
        .where(col(VoteBudget.challenge_id) == challenge_id)
        .values(allowance=sa.case((used > allowance, used), else_=allowance))
    )
    session.execute(statement, execution_options=NO_SYNC)


def _attach_cover(session: Session, *, cover_media_id: int | None, actor: Member) -> None:
    if cover_media_id is not None:
        attachments.attach(
            session,
            owner_id=actor.id,  # type: ignore[arg-type]
            media_ids=[cover_media_id],
            field="cover_media_id",
            kinds=attachments.IMAGES,
            listed=False,
        )


def delete_challenge(session: Session, *, challenge: Challenge) -> None:
    """Deletes the challenge with its works and votes (this one only, not its series); the
    works' files attached nowhere else are tombstoned (app.media.attachments.release)."""
    files = sa.select(col(SubmissionMedia.media_id)).join(
        Submission, col(Submission.id) == col(SubmissionMedia.submission_id)
    )
    media_ids = list(
        session.execute(files.where(col(Submission.challenge_id) == challenge.id)).scalars()
    )
    session.execute(sa.delete(Challenge).where(col(Challenge.id) == challenge.id))
    attachments.release(session, media_ids)


def adjust_counts(session: Session, *, challenge_id: int, **deltas: int) -> None:
    """`submission_count` / `participant_count` changed in SQL, atomically."""
    values: dict[str, Any] = {
        name: getattr(Challenge, name) + delta for name, delta in deltas.items()
    }
    statement = sa.update(Challenge).where(col(Challenge.id) == challenge_id).values(values)
    session.execute(statement, execution_options=NO_SYNC)
