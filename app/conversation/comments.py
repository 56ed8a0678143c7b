"""Comments on works: feedback under a challenge submission.

Comments follow their work's visibility, decided by the submissions service: anonymous
visitors read them where they may see the work (once its challenge is closed), members
wherever they see the work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import sqlalchemy as sa
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
_WORKS = cast(sa.Table, Submission.__table__)  # type: ignore[attr-defined]
_CHALLENGES = cast(sa.Table, Challenge.__table__)  # type: ignore[attr-defined]
_WRITTEN = ("submission_id", "author_id", "body", "created_at", "updated_at")
_INSERT = sa.insert(_COMMENTS).returning(_COMMENTS.c.id)


def _commentable(organizer: bool) -> sa.Select[Any]:
    """The work a member may comment on (its id, author and title), by the rules of
    `submissions.get_visible` for a member: a work hidden after a report, or in a draft
    challenge, is for organizers only (members see disqualified works, and works at every
    phase)."""
    statement = (
        sa.select(_WORKS.c.id, _WORKS.c.member_id, _WORKS.c.title)
        .join(_CHALLENGES, _CHALLENGES.c.id == _WORKS.c.challenge_id)
        .where(_WORKS.c.id == sa.bindparam("submission_id"))
    )
    if organizer:
        return statement
    return statement.where(_WORKS.c.hidden_at.is_(None), _CHALLENGES.c.published.is_(True))


def _written_at_once(organizer: bool) -> sa.Select[Any]:
    """PostgreSQL: the work's author and title and the comment's id, the comment inserted
    only when the member may see the work, in one statement."""
    work = _commentable(organizer).cte("work")
    made = (
        sa.insert(_COMMENTS)
        .from_select(
            list(_WRITTEN),
            sa.select(
                work.c.id,
                sa.bindparam("author_id", type_=sa.Integer),
                sa.bindparam("body", type_=_COMMENTS.c.body.type),
                sa.bindparam("created_at", type_=_COMMENTS.c.created_at.type),
                sa.bindparam("updated_at", type_=_COMMENTS.c.updated_at.type),
            ),
        )
        .returning(_COMMENTS.c.id)
        .cte("made")
    )
    return sa.select(work.c.member_id, work.c.title, made.c.id).select_from(
        work.join(made, sa.true())
    )


# Built once per kind of member: making a statement (and its cache key) costs more CPU than
# running it here.
_WRITE_AT_ONCE = {organizer: _written_at_once(organizer) for organizer in (False, True)}
_COMMENTABLE = {organizer: _commentable(organizer) for organizer in (False, True)}


def _write(session: Session, values: dict[str, Any], *, organizer: bool) -> tuple[int, str, int]:
    """The work's author and title and the new comment's id, or 404 (nothing written) for a
    work the member may not see. Core statements on the Session's connection: no entity to
    build, none for the Session to keep."""
    if session.autoflush:  # what the Session holds unwritten, as an ORM statement would
        session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        row = connection.execute(_WRITE_AT_ONCE[organizer], values).first()
        if row is not None:
            return row[0], row[1], row[2]
    else:
        work = connection.execute(_COMMENTABLE[organizer], values).first()
        if work is not None:
            return work.member_id, work.title, connection.execute(_INSERT, values).scalar_one()
    raise does_not_exist(SubmissionNotFound, N_("Submission"), values["submission_id"])


def create_comment(
    session: Session, *, submission_id: int, author: Member, data: CommentCreate
) -> Comment:
    """The comment, when the author may see the work (else 404): one statement on
    PostgreSQL, a read and the INSERT elsewhere. It is not kept in the Session (nothing
    reads it there): the event carries what its subscribers tell."""
    now = utcnow()
    values: dict[str, Any] = {
        "submission_id": submission_id,
        "author_id": author.id,
        "body": data.body,
        "created_at": now,
        "updated_at": now,
    }
    work_author_id, work_title, comment_id = _write(session, values, organizer=is_organizer(author))
    publish(
        session,
        CommentCreated(
            actor_id=author.id,
            comment_id=comment_id,
            submission_id=submission_id,
            submission_author_id=work_author_id,
            submission_title=work_title,
            body=data.body,
        ),
    )
    return Comment.model_construct(id=comment_id, **values)  # as written: nothing to validate


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
