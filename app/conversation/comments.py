"""Comments on works: feedback under a challenge submission.

Comments follow their work's visibility, decided by the submissions service: anonymous
visitors read them where they may see the work (once its challenge is closed), members
wherever they see the work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select

from app.challenges import judging
from app.challenges import service as challenges
from app.conversation import policies
from app.conversation.exceptions import AlreadyDeleted, CommentNotFound
from app.conversation.schemas import CommentCreate, CommentPublic, CommentUpdate
from app.core.clock import utcnow
from app.core.domain_events import CommentCreated, CommentDeleted, publish
from app.core.pagination import PageParams, asc, paginate
from app.i18n import N_
from app.models import Challenge, Comment, Member, Submission, is_organizer
from app.problems.details import does_not_exist
from app.submissions import service as submissions
from app.submissions.exceptions import SubmissionNotFound


def visible_submission(
    session: Session, *, submission_id: int, viewer: Member | None
) -> Submission:
    submission, _ = submissions.get_visible(session, submission_id=submission_id, viewer=viewer)
    return submission


_COMMENTS = cast(sa.Table, Comment.__table__)  # type: ignore[attr-defined]
_INSERT = sa.insert(_COMMENTS).returning(_COMMENTS.c.id)
_WRITTEN = ("submission_id", "author_id", "body", "created_at", "updated_at")


def create_comment(
    session: Session, *, submission_id: int, author: Member, data: CommentCreate
) -> Comment:
    submission = visible_submission(session, submission_id=submission_id, viewer=author)
    now = utcnow()
    comment = Comment(
        submission_id=submission_id,
        author_id=author.id,
        body=data.body,
        created_at=now,
        updated_at=now,
    )
    comment.id = session.execute(
        _INSERT, {name: getattr(comment, name) for name in _WRITTEN}
    ).scalar_one()
    # Persistent from here without a flush (the INSERT wrote it): the subscribers that read
    # it find it in the Session.
    make_transient_to_detached(comment)
    session.add(comment)
    publish(
        session,
        CommentCreated(
            actor_id=author.id,
            comment_id=comment.id,
            submission_id=submission_id,
            submission_author_id=submission.member_id,
        ),
    )
    return comment


def _comment_or_404(comment: Comment | None, comment_id: int, viewer: Member | None) -> Comment:
    if comment is None or (comment.hidden_at is not None and not is_organizer(viewer)):
        raise does_not_exist(CommentNotFound, N_("Comment"), comment_id)
    return comment


def get_comment(session: Session, *, comment_id: int, viewer: Member | None) -> Comment:
    comment = _comment_or_404(session.get(Comment, comment_id), comment_id, viewer)
    try:
        visible_submission(session, submission_id=comment.submission_id, viewer=viewer)
    except SubmissionNotFound as error:
        raise does_not_exist(CommentNotFound, N_("Comment"), comment_id) from error
    return comment


def lock_comment(session: Session, *, comment_id: int, viewer: Member) -> Comment:
    get_comment(session, comment_id=comment_id, viewer=viewer)
    statement = (
        select(Comment)
        .where(Comment.id == comment_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return _comment_or_404(session.exec(statement).first(), comment_id, viewer)


def update_comment(
    session: Session, *, comment: Comment, changes: CommentUpdate, actor: Member
) -> Comment:
    policies.require_author(comment, actor, what=N_("comment"))
    if comment.deleted_at is not None:
        raise AlreadyDeleted(N_("Comment {comment} was deleted."), values={"comment": comment.id})
    comment.body = changes.body
    comment.updated_at = utcnow()
    session.add(comment)
    session.flush()
    return comment


def delete_comment(session: Session, *, comment_id: int, actor: Member) -> None:
    """The author deletes (organizers too, as moderation); it keeps its place, without
    body. Deleting it again changes nothing."""
    comment = get_comment(session, comment_id=comment_id, viewer=actor)
    if not is_organizer(actor):
        policies.require_author(comment, actor, what=N_("comment"))
    if policies.delete_in_place(session, Comment, comment_id):
        publish(session, CommentDeleted(actor_id=actor.id, comment_id=comment_id))


def list_comments(
    session: Session, *, submission_id: int, viewer: Member | None, params: PageParams
) -> tuple[list[Comment], str | None]:
    visible_submission(session, submission_id=submission_id, viewer=viewer)
    statement = select(Comment).where(Comment.submission_id == submission_id)
    statement = policies.visible(statement, Comment, viewer)
    return paginate(session, statement, keys=[asc(Comment.id)], params=params)


def present_comments(
    session: Session,
    comments: Sequence[Comment],
    *,
    viewer: Member | None = None,
    known: Iterable[Member] = (),
) -> list[CommentPublic]:
    shown = policies.shown_fields(session, comments, known=known)
    for fields in _blind_fields(session, comments, shown, viewer=viewer):
        fields["author"] = None
    return [
        CommentPublic(**fields, submission_id=comment.submission_id)
        for comment, fields in zip(comments, shown, strict=True)
    ]


def present_comment(
    session: Session,
    comment: Comment,
    *,
    viewer: Member | None = None,
    known: Iterable[Member] = (),
) -> CommentPublic:
    """The comment; `known`: members whose names need no read (a new comment's author)."""
    return present_comments(session, [comment], viewer=viewer, known=known)[0]


def _blind_fields(
    session: Session,
    comments: Sequence[Comment],
    shown: list[dict[str, Any]],
    *,
    viewer: Member | None,
) -> list[dict[str, Any]]:
    """The comments whose author a juror may not see: those the work's own author wrote,
    while its challenge is judged (blind judging). One query, for members only."""
    if viewer is None or not comments:
        return []
    rows = session.execute(
        sa.select(col(Submission.id), col(Submission.member_id), Challenge)
        .join(Challenge, col(Challenge.id) == col(Submission.challenge_id))
        .where(col(Submission.id).in_({comment.submission_id for comment in comments}))
    )
    now = utcnow()
    hidden = {
        work_id: author_id
        for work_id, author_id, challenge in rows
        if author_id != viewer.id
        and judging.judges_blind(challenge, viewer, challenges.phase_of(challenge, now))
    }
    return [
        fields
        for comment, fields in zip(comments, shown, strict=True)
        if comment.submission_id in hidden and comment.author_id == hidden[comment.submission_id]
    ]
