"""Contributions earn points and badges: one subscriber per domain event that carries one.

Every handler is safe to run twice for the same event: activities and automatic badges
are inserted with ON CONFLICT DO NOTHING and totals move only for rows actually inserted.
Withdrawals (a work, a vote) and deletions (a comment, a post) take the points back; a
badge once earned stays.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.challenges import ranking
from app.core.domain_events import (
    BadgeAwarded,
    ChallengeClosed,
    CommentCreated,
    CommentDeleted,
    DomainEvent,
    EventAttended,
    IdeaCreated,
    MentorshipCompleted,
    PostCreated,
    PostDeleted,
    ProjectCompleted,
    ProjectUpdatePosted,
    SubmissionCreated,
    SubmissionWithdrawn,
    TaskCompleted,
    ThreadCreated,
    VoteCast,
    VoteWithdrawn,
    subscribe,
)
from app.i18n import N_
from app.models import Challenge, ContributionKind, Event, Project, Submission
from app.notifications.service import notify
from app.recognition import badges, service

Kind = ContributionKind


def _day(at: datetime) -> str:
    return f"{at:%Y-%m-%d}"


def _record(
    event: DomainEvent, session: Session, kind: Kind, source: int, member: int
) -> int | None:
    """The member's count of this kind with this contribution, None if recorded before."""
    return service.record(
        session,
        member_id=member,
        kind=kind,
        source_id=source,
        occurred_at=event.occurred_at,
    )


# --- challenges ----------------------------------------------------------------------------


@subscribe(SubmissionCreated)
def submission_created(session: Session, event: SubmissionCreated) -> None:
    submission = session.get(Submission, event.submission_id)
    if submission is None:  # withdrawn before a retried event came back
        return
    _record(event, session, Kind.SUBMISSION, event.submission_id, submission.member_id)
    at = event.occurred_at
    badges.award(
        session,
        member_id=submission.member_id,
        code=badges.FIRST_SUBMISSION,
        reason=f"first submission: '{submission.title}', {_day(at)}",
        at=at,
    )
    _check_streak(session, submission, at=at)


def _check_streak(session: Session, submission: Submission, *, at: datetime) -> None:
    challenge = session.get(Challenge, submission.challenge_id)
    if challenge is None or challenge.series_id is None:
        return
    run = badges.weekly_streak(
        session, member_id=submission.member_id, series_id=challenge.series_id
    )
    if run is None:
        return
    titles = ", ".join(f"'{c.title}'" for c in run)
    badges.award(
        session,
        member_id=submission.member_id,
        code=badges.WEEKLY_STREAK,
        reason=f"four weekly challenges in a row: {titles}, {_day(at)}",
        at=at,
    )


@subscribe(SubmissionWithdrawn)
def submission_withdrawn(session: Session, event: SubmissionWithdrawn) -> None:
    service.retract(session, kind=Kind.SUBMISSION, source_id=event.submission_id)


@subscribe(VoteCast)
def vote_cast(session: Session, event: VoteCast) -> None:
    # A member votes once per work: the work identifies the vote.
    _record(event, session, Kind.VOTE, event.submission_id, event.member_id)


@subscribe(VoteWithdrawn)
def vote_withdrawn(session: Session, event: VoteWithdrawn) -> None:
    service.retract(
        session, kind=Kind.VOTE, source_id=event.submission_id, member_id=event.member_id
    )


@subscribe(ChallengeClosed)
def challenge_closed(session: Session, event: ChallengeClosed) -> None:
    challenge = session.get(Challenge, event.challenge_id)
    if challenge is None:
        return
    winners = session.exec(
        select(Submission)
        .where(Submission.challenge_id == challenge.id, col(Submission.is_winner).is_(True))
        # In results order: by votes, or by the jury's score for a judged challenge.
        .order_by(ranking.key(challenge).desc(), col(Submission.id))
    ).all()
    at = event.occurred_at
    seen: set[int] = set()
    for work in winners:
        if work.member_id in seen:  # a member with two winning works wins the challenge once
            continue
        seen.add(work.member_id)
        _record(event, session, Kind.CHALLENGE_WIN, event.challenge_id, work.member_id)
        badges.award(
            session,
            member_id=work.member_id,
            code=badges.CHALLENGE_WINNER,
            reason=f"challenge winner: '{work.title}' in '{challenge.title}', {_day(at)}",
            at=at,
        )


# --- conversation (comments, posts, threads, ideas) ----------------------------------------


@subscribe(CommentCreated)
def comment_created(session: Session, event: CommentCreated) -> None:
    if event.actor_id is None:
        return
    comments = _record(event, session, Kind.COMMENT, event.comment_id, event.actor_id)
    # A count moves by one, so it cannot pass the rule's number without equalling it: only
    # then is the badge inserted (again after a deletion took the count back below: ON
    # CONFLICT DO NOTHING keeps the badge single), no statement on the other comments.
    if comments != badges.COMMENTS_NEEDED:
        return
    at = event.occurred_at
    badges.award(
        session,
        member_id=event.actor_id,
        code=badges.TEN_COMMENTS,
        reason=f"ten comments on members' works, the tenth on {_day(at)}",
        at=at,
    )


@subscribe(CommentDeleted)
def comment_deleted(session: Session, event: CommentDeleted) -> None:
    service.retract(session, kind=Kind.COMMENT, source_id=event.comment_id)


@subscribe(PostCreated)
def post_created(session: Session, event: PostCreated) -> None:
    if event.actor_id is not None:
        _record(event, session, Kind.POST, event.post_id, event.actor_id)


@subscribe(PostDeleted)
def post_deleted(session: Session, event: PostDeleted) -> None:
    service.retract(session, kind=Kind.POST, source_id=event.post_id)


@subscribe(ThreadCreated)
def thread_created(session: Session, event: ThreadCreated) -> None:
    if event.actor_id is not None:
        _record(event, session, Kind.THREAD, event.thread_id, event.actor_id)


@subscribe(IdeaCreated)
def idea_created(session: Session, event: IdeaCreated) -> None:
    if event.actor_id is not None:
        _record(event, session, Kind.IDEA, event.idea_id, event.actor_id)


# --- events, projects, mentoring -----------------------------------------------------------


@subscribe(EventAttended)
def event_attended(session: Session, event: EventAttended) -> None:
    member_id = event.member_id
    attended = _record(event, session, Kind.EVENT_ATTENDED, event.event_id, member_id)
    if attended != badges.EVENTS_NEEDED:  # as for comments
        return
    happening = session.get(Event, event.event_id)
    title = happening.title if happening is not None else "an event"
    at = event.occurred_at
    badges.award(
        session,
        member_id=member_id,
        code=badges.FIVE_EVENTS,
        reason=f"five events attended, the fifth: '{title}', {_day(at)}",
        at=at,
    )


@subscribe(TaskCompleted)
def task_completed(session: Session, event: TaskCompleted) -> None:
    _record(event, session, Kind.TASK_DONE, event.task_id, event.member_id)


@subscribe(ProjectUpdatePosted)
def project_update_posted(session: Session, event: ProjectUpdatePosted) -> None:
    if event.actor_id is not None:
        _record(event, session, Kind.PROJECT_UPDATE, event.update_id, event.actor_id)


@subscribe(ProjectCompleted)
def project_completed(session: Session, event: ProjectCompleted) -> None:
    project = session.get(Project, event.project_id)
    title = project.title if project is not None else "a project"
    at = event.occurred_at
    for member_id in event.member_ids:
        badges.award(
            session,
            member_id=member_id,
            code=badges.PROJECT_COMPLETED,
            reason=f"project completed: '{title}', {_day(at)}",
            at=at,
        )


@subscribe(MentorshipCompleted)
def mentorship_completed(session: Session, event: MentorshipCompleted) -> None:
    at = event.occurred_at
    for role, member_id in (("mentor", event.mentor_id), ("mentee", event.mentee_id)):
        _record(event, session, Kind.MENTORSHIP_COMPLETED, event.mentorship_id, member_id)
        badges.award(
            session,
            member_id=member_id,
            code=badges.FIRST_MENTORSHIP,
            reason=f"first mentorship completed as {role}, {_day(at)}",
            at=at,
        )


# --- telling the member --------------------------------------------------------------------


@subscribe(BadgeAwarded)
def tell_member_of_badge(session: Session, event: BadgeAwarded) -> None:
    award = event.kind == "award"
    notify(
        session,
        member_id=event.member_id,
        type="badge.awarded",
        title=N_("Award: {badge}") if award else N_("Badge: {badge}"),
        body=N_("See it on your profile's badges."),
        values={"badge": event.title},
        badge_id=event.badge_id,
    )
