"""What members hear about conversations: feedback on their work, replies to their thread,
an answer to their idea; organizers hear of new reports. Announcements reach feeds on
read (app.notifications.service.catch_up), not through a subscriber."""

from __future__ import annotations

from sqlmodel import Session

from app.core.domain_events import (
    CommentCreated,
    IdeaStatusChanged,
    PostCreated,
    ReportOpened,
    subscribe,
)
from app.i18n import N_, message
from app.models import Idea, Post, Role, Thread
from app.notifications.service import name_of, notify, notify_role

# An idea's status as its proposer reads it ("Your idea … is now planned").
IDEA_STATUS = {
    "new": N_("new"),
    "under_review": N_("under review"),
    "planned": N_("planned"),
    "done": N_("done"),
    "declined": N_("declined"),
}


@subscribe(CommentCreated)
def tell_author_of_feedback(session: Session, event: CommentCreated) -> None:
    author_id = event.submission_author_id
    if author_id == event.actor_id:
        return  # answering feedback under one's own work
    notify(
        session,
        member_id=author_id,
        type="comment.created",
        title=N_("{member} commented on “{work}”"),
        body="{text}",
        values={
            "member": name_of(session, event.actor_id),
            "work": event.submission_title,
            "text": event.body,
        },
        submission_id=event.submission_id,
        comment_id=event.comment_id,
    )


@subscribe(PostCreated)
def tell_thread_author_of_reply(session: Session, event: PostCreated) -> None:
    thread = session.get(Thread, event.thread_id)
    post = session.get(Post, event.post_id)
    assert thread is not None and post is not None
    if thread.author_id is None or thread.author_id == event.actor_id:
        return
    notify(
        session,
        member_id=thread.author_id,
        type="post.created",
        title=N_("{member} replied to “{thread}”"),
        body="{text}",
        values={
            "member": name_of(session, event.actor_id),
            "thread": thread.title,
            "text": post.body,
        },
        thread_id=thread.id,
        post_id=post.id,
    )


@subscribe(IdeaStatusChanged)
def tell_proposer_of_answer(session: Session, event: IdeaStatusChanged) -> None:
    proposer_id = event.proposer_id
    if proposer_id is None or proposer_id == event.actor_id:
        return
    idea = session.get(Idea, event.idea_id)
    assert idea is not None
    status = message(IDEA_STATUS.get(event.status, event.status.replace("_", " ")))
    notify(
        session,
        member_id=proposer_id,
        type="idea.status_changed",
        title=N_("Your idea “{idea}” is now {status}"),
        body="{text}" if idea.response else "",
        values={"idea": idea.title, "status": status, "text": idea.response or ""},
        idea_id=idea.id,
        status=event.status,
    )


@subscribe(ReportOpened)
def tell_organizers_of_report(session: Session, event: ReportOpened) -> None:
    target = f"{event.target_type} {event.target_id}"
    notify_role(
        session,
        roles=(Role.ORGANIZER, Role.ADMIN),
        type="report.opened",
        title=N_("New report: {target}"),
        body=N_("A member reported it; review it in the reports."),
        values={"target": target},
        case_id=event.case_id,
        target_type=event.target_type,
        target_id=event.target_id,
    )
