"""Discussion threads and their posts.

How the rules hold under concurrency:
- a reply first moves its thread with one conditional
  `UPDATE threads SET post_count = post_count + 1, last_post_at = :now WHERE id = :id AND
  NOT locked`; no row changed means the thread is locked (409 `thread_locked`), and the
  row lock it takes queues concurrent replies, so `post_count` stays exact;
- a post is deleted softly by `UPDATE … SET deleted_at = :now WHERE deleted_at IS NULL`:
  only the request that changed the row lowers `post_count` and publishes `post.deleted`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.conversation import policies
from app.conversation.exceptions import (
    AlreadyDeleted,
    OrganizerOnlyFields,
    PostNotFound,
    ThreadLocked,
    ThreadNotFound,
)
from app.conversation.schemas import (
    PostCreate,
    PostPublic,
    PostUpdate,
    ThreadCreate,
    ThreadPublic,
    ThreadUpdate,
)
from app.core.clock import utcnow
from app.core.db import NO_SYNC, rows_affected
from app.core.domain_events import PostCreated, PostDeleted, ThreadCreated, publish
from app.core.pagination import PageParams, asc, desc, paginate
from app.i18n import N_
from app.models import Member, Post, Thread, is_organizer
from app.problems.details import does_not_exist

MODERATION_FIELDS = frozenset({"pinned", "locked"})


# --- threads -------------------------------------------------------------------------------


def _thread_or_404(thread: Thread | None, thread_id: int, viewer: Member | None) -> Thread:
    if thread is None or (thread.hidden_at is not None and not is_organizer(viewer)):
        raise does_not_exist(ThreadNotFound, N_("Thread"), thread_id)
    return thread


def get_thread(session: Session, *, thread_id: int, viewer: Member | None) -> Thread:
    return _thread_or_404(session.get(Thread, thread_id), thread_id, viewer)


def lock_thread(session: Session, *, thread_id: int, viewer: Member) -> Thread:
    """The thread, locked as an UPDATE locks it (`FOR NO KEY UPDATE`, not blocking inserts
    that merely reference it)."""
    statement = (
        select(Thread)
        .where(Thread.id == thread_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return _thread_or_404(session.exec(statement).first(), thread_id, viewer)


def create_thread(session: Session, *, author: Member, data: ThreadCreate) -> Thread:
    now = utcnow()
    thread = Thread(
        author_id=author.id,
        **data.model_dump(),
        last_post_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(thread)
    session.flush()
    assert thread.id is not None  # flushed
    publish(session, ThreadCreated(actor_id=author.id, thread_id=thread.id))
    return thread


def update_thread(
    session: Session, *, thread: Thread, changes: ThreadUpdate, actor: Member
) -> Thread:
    """Authors edit the content; organizers pin and lock (a member sending those: 403)."""
    sent = changes.model_dump(exclude_unset=True)
    if MODERATION_FIELDS & sent.keys() and not is_organizer(actor):
        raise OrganizerOnlyFields(N_("Only organizers pin or lock threads."))
    if sent.keys() - MODERATION_FIELDS:
        policies.require_author(thread, actor, what=N_("thread"))
    for field, value in sent.items():
        setattr(thread, field, value)
    if sent:
        thread.updated_at = utcnow()
    session.add(thread)
    session.flush()
    return thread


def delete_thread(session: Session, *, thread: Thread, actor: Member) -> None:
    """The author (or an organizer) deletes the thread with its posts."""
    if not is_organizer(actor):
        policies.require_author(thread, actor, what=N_("thread"))
    session.execute(sa.delete(Thread).where(col(Thread.id) == thread.id))
    session.expunge(thread)


def list_threads(
    session: Session, *, viewer: Member, category: str | None, params: PageParams
) -> tuple[list[Thread], str | None]:
    """Pinned threads first, then by latest activity."""
    statement = policies.visible(select(Thread), Thread, viewer)
    if category is not None:
        statement = statement.where(Thread.category == category)
    keys = [desc(Thread.pinned), desc(Thread.last_post_at), desc(Thread.id)]
    return paginate(session, statement, keys=keys, params=params)


def present_threads(session: Session, threads: Sequence[Thread]) -> list[ThreadPublic]:
    people = policies.authors(session, (t.author_id for t in threads))
    return [
        ThreadPublic(
            id=thread.id,  # type: ignore[arg-type]
            title=thread.title,
            body=thread.body,
            category=thread.category,
            author=people.get(thread.author_id) if thread.author_id else None,
            pinned=thread.pinned,
            locked=thread.locked,
            post_count=thread.post_count,
            last_post_at=thread.last_post_at,
            created_at=thread.created_at,
            updated_at=thread.updated_at,
            hidden=thread.hidden_at is not None,
        )
        for thread in threads
    ]


def present_thread(session: Session, thread: Thread) -> ThreadPublic:
    return present_threads(session, [thread])[0]


# --- posts ---------------------------------------------------------------------------------


def create_post(session: Session, *, thread_id: int, author: Member, data: PostCreate) -> Post:
    get_thread(session, thread_id=thread_id, viewer=author)
    now = utcnow()
    bumped = session.execute(
        sa.update(Thread)
        .where(col(Thread.id) == thread_id, col(Thread.locked).is_(False))
        .values(post_count=col(Thread.post_count) + 1, last_post_at=now),
        execution_options=NO_SYNC,
    )
    if rows_affected(bumped) == 0:
        raise ThreadLocked(
            N_("Thread {thread_id} is locked; it takes no new posts."),
            values={"thread_id": thread_id},
        )
    post = Post(
        thread_id=thread_id, author_id=author.id, body=data.body, created_at=now, updated_at=now
    )
    session.add(post)
    session.flush()
    assert post.id is not None  # flushed
    publish(session, PostCreated(actor_id=author.id, post_id=post.id, thread_id=thread_id))
    return post


def _post_or_404(post: Post | None, post_id: int, viewer: Member) -> Post:
    if post is None or (post.hidden_at is not None and not is_organizer(viewer)):
        raise does_not_exist(PostNotFound, N_("Post"), post_id)
    return post


def get_post(session: Session, *, post_id: int, viewer: Member) -> tuple[Post, Thread]:
    post = _post_or_404(session.get(Post, post_id), post_id, viewer)
    try:
        thread = get_thread(session, thread_id=post.thread_id, viewer=viewer)
    except ThreadNotFound as error:
        raise does_not_exist(PostNotFound, N_("Post"), post_id) from error
    return post, thread


def lock_post(session: Session, *, post_id: int, viewer: Member) -> tuple[Post, Thread]:
    """The post and its thread, the post locked for a change."""
    _, thread = get_post(session, post_id=post_id, viewer=viewer)
    statement = (
        select(Post)
        .where(Post.id == post_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return _post_or_404(session.exec(statement).first(), post_id, viewer), thread


def update_post(
    session: Session, *, post: Post, thread: Thread, changes: PostUpdate, actor: Member
) -> Post:
    """Only the author edits, while the post stands and the thread is not locked."""
    policies.require_author(post, actor, what=N_("post"))
    if post.deleted_at is not None:
        raise AlreadyDeleted(N_("Post {post} was deleted."), values={"post": post.id})
    if thread.locked:
        raise ThreadLocked(
            N_("Thread {thread} is locked; its posts can no longer change."),
            values={"thread": thread.id},
        )
    post.body = changes.body
    post.updated_at = utcnow()
    session.add(post)
    session.flush()
    return post


def delete_post(session: Session, *, post_id: int, actor: Member) -> None:
    """The author deletes (organizers too, as moderation); the post keeps its place as a
    placeholder. Deleting it again changes nothing."""
    post, thread = get_post(session, post_id=post_id, viewer=actor)
    if not is_organizer(actor):
        policies.require_author(post, actor, what=N_("post"))
    # The thread first, as replies and thread deletions lock it: never a lock-order cycle.
    lock_thread(session, thread_id=thread.id, viewer=actor)  # type: ignore[arg-type]
    if not policies.delete_in_place(session, Post, post_id):
        return
    session.execute(
        sa.update(Thread)
        .where(col(Thread.id) == thread.id)
        .values(post_count=col(Thread.post_count) - 1),
        execution_options=NO_SYNC,
    )
    publish(session, PostDeleted(actor_id=actor.id, post_id=post_id))


def list_posts(
    session: Session, *, thread: Thread, viewer: Member, params: PageParams
) -> tuple[list[Post], str | None]:
    """A thread's posts in the order they were written, deleted ones in their place."""
    statement = policies.visible(select(Post).where(Post.thread_id == thread.id), Post, viewer)
    return paginate(session, statement, keys=[asc(Post.id)], params=params)


def present_posts(session: Session, posts: Sequence[Post]) -> list[PostPublic]:
    shown = policies.shown_fields(session, posts)
    return [
        PostPublic(**fields, thread_id=post.thread_id)
        for post, fields in zip(posts, shown, strict=True)
    ]


def present_post(session: Session, post: Post) -> PostPublic:
    return present_posts(session, [post])[0]
