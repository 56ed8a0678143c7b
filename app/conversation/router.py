"""Conversation routes, one router per tag (= URL prefix): threads, posts, comments (and
the comments under a work, tagged submissions), ideas, announcements, reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from app.conversation import announcements, comments, ideas, reports, threads
from app.conversation.schemas import (
    AnnouncementCreate,
    AnnouncementPage,
    AnnouncementPublic,
    AnnouncementUpdate,
    Category,
    CommentCreate,
    CommentPage,
    CommentPublic,
    CommentUpdate,
    IdeaCreate,
    IdeaFilters,
    IdeaPage,
    IdeaPublic,
    IdeaUpdate,
    PostCreate,
    PostPage,
    PostPublic,
    PostUpdate,
    ReportCreate,
    ReportFilters,
    ReportPage,
    ReportPublic,
    ReportUpdate,
    ThreadCreate,
    ThreadPage,
    ThreadPublic,
    ThreadUpdate,
)
from app.core.db import SessionDep
from app.core.http import (
    CONDITIONAL_GET_RESPONSES,
    CONDITIONAL_WRITE_RESPONSES,
    json_response,
    require_current,
)
from app.core.openapi import problems
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.core.types import IdPath
from app.principal.dependencies import CreationDep, CurrentMember, OptionalMember, OrganizerMember

threads_router = ResourceRouter(prefix="/threads", tags=["threads"])
posts_router = ResourceRouter(prefix="/posts", tags=["posts"])
work_comments_router = ResourceRouter(prefix="/submissions", tags=["submissions"])
comments_router = ResourceRouter(prefix="/comments", tags=["comments"])
ideas_router = ResourceRouter(prefix="/ideas", tags=["ideas"])
announcements_router = ResourceRouter(prefix="/announcements", tags=["announcements"])
reports_router = ResourceRouter(prefix="/reports", tags=["reports"])

GET_ONE = CONDITIONAL_GET_RESPONSES | problems(404)


# --- threads -------------------------------------------------------------------------------


@threads_router.get("", response_model=ThreadPage, summary="List threads")
def threads_list(
    session: SessionDep,
    member: CurrentMember,
    page: PageParamsDep,
    category: Annotated[Category | None, Query(description="Only this category.")] = None,
) -> ThreadPage:
    """Discussion threads, pinned first, then by latest activity."""
    rows, next_cursor = threads.list_threads(session, viewer=member, category=category, params=page)
    return ThreadPage(items=threads.present_threads(session, rows), next_cursor=next_cursor)


@threads_router.post("", status_code=201, response_model=ThreadPublic, summary="Start a thread")
def threads_create(
    session: SessionDep, member: CurrentMember, data: ThreadCreate, creation: CreationDep
) -> Response:
    """Any member starts a discussion."""
    thread = threads.create_thread(session, author=member, data=data)
    public = threads.present_thread(session, thread)
    return creation.created(public, location=f"/api/v1/threads/{thread.id}")


@threads_router.get(
    "/{thread_id}", response_model=ThreadPublic, summary="Get a thread", responses=GET_ONE
)
def threads_get(
    request: Request, session: SessionDep, member: CurrentMember, thread_id: IdPath
) -> Response:
    """One thread; its posts are at `/threads/{thread_id}/posts`."""
    thread = threads.get_thread(session, thread_id=thread_id, viewer=member)
    return json_response(request, threads.present_thread(session, thread))


@threads_router.patch(
    "/{thread_id}",
    response_model=ThreadPublic,
    summary="Edit, pin or lock a thread",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(403, 404, 412),
)
def threads_update(
    request: Request,
    session: SessionDep,
    member: CurrentMember,
    thread_id: IdPath,
    changes: ThreadUpdate,
) -> Response:
    """The author edits title, body and category; organizers set `pinned` and `locked`
    (403 `organizer_only_fields` for anyone else)."""
    thread = threads.lock_thread(session, thread_id=thread_id, viewer=member)
    require_current(request, threads.present_thread(session, thread))
    thread = threads.update_thread(session, thread=thread, changes=changes, actor=member)
    return json_response(request, threads.present_thread(session, thread))


@threads_router.delete(
    "/{thread_id}", status_code=204, summary="Delete a thread", responses=problems(403, 404)
)
def threads_delete(session: SessionDep, member: CurrentMember, thread_id: IdPath) -> Response:
    """The author (or an organizer) deletes the thread with all its posts."""
    thread = threads.lock_thread(session, thread_id=thread_id, viewer=member)
    threads.delete_thread(session, thread=thread, actor=member)
    return Response(status_code=204)


@threads_router.get(
    "/{thread_id}/posts", response_model=PostPage, summary="List posts", responses=problems(404)
)
def threads_list_posts(
    session: SessionDep, member: CurrentMember, thread_id: IdPath, page: PageParamsDep
) -> PostPage:
    """The thread's posts in order; deleted posts keep their place (`deleted: true`)."""
    thread = threads.get_thread(session, thread_id=thread_id, viewer=member)
    rows, next_cursor = threads.list_posts(session, thread=thread, viewer=member, params=page)
    return PostPage(items=threads.present_posts(session, rows), next_cursor=next_cursor)


@threads_router.post(
    "/{thread_id}/posts",
    status_code=201,
    response_model=PostPublic,
    summary="Reply in a thread",
    responses=problems(404, 409),
)
def threads_create_post(
    session: SessionDep,
    member: CurrentMember,
    thread_id: IdPath,
    data: PostCreate,
    creation: CreationDep,
) -> Response:
    """Any member replies; a locked thread refuses (409 `thread_locked`)."""
    post = threads.create_post(session, thread_id=thread_id, author=member, data=data)
    public = threads.present_post(session, post)
    return creation.created(public, location=f"/api/v1/posts/{post.id}")


# --- posts ---------------------------------------------------------------------------------


@posts_router.get("/{post_id}", response_model=PostPublic, summary="Get a post", responses=GET_ONE)
def posts_get(
    request: Request, session: SessionDep, member: CurrentMember, post_id: IdPath
) -> Response:
    """One post of a thread."""
    post, _ = threads.get_post(session, post_id=post_id, viewer=member)
    return json_response(request, threads.present_post(session, post))


@posts_router.patch(
    "/{post_id}",
    response_model=PostPublic,
    summary="Edit my post",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(403, 404, 409, 412),
)
def posts_update(
    request: Request,
    session: SessionDep,
    member: CurrentMember,
    post_id: IdPath,
    changes: PostUpdate,
) -> Response:
    """Only the author edits, while the post stands and its thread is not locked."""
    post, thread = threads.lock_post(session, post_id=post_id, viewer=member)
    require_current(request, threads.present_post(session, post))
    post = threads.update_post(session, post=post, thread=thread, changes=changes, actor=member)
    return json_response(request, threads.present_post(session, post))


@posts_router.delete(
    "/{post_id}", status_code=204, summary="Delete a post", responses=problems(403, 404)
)
def posts_delete(session: SessionDep, member: CurrentMember, post_id: IdPath) -> Response:
    """The author (or an organizer, as moderation) deletes; a placeholder keeps its place."""
    threads.delete_post(session, post_id=post_id, actor=member)
    return Response(status_code=204)


# --- comments on works ---------------------------------------------------------------------


@work_comments_router.get(
    "/{submission_id}/comments",
    response_model=CommentPage,
    summary="List comments on a work",
    responses=problems(404),
)
def submissions_list_comments(
    session: SessionDep, viewer: OptionalMember, submission_id: IdPath, page: PageParamsDep
) -> CommentPage:
    """Feedback on a work, oldest first; readable wherever the work is (anonymous visitors
    once its challenge is closed, else 401)."""
    rows, next_cursor = comments.list_comments(
        session, submission_id=submission_id, viewer=viewer, params=page
    )
    return CommentPage(
        items=comments.present_comments(session, rows, viewer=viewer), next_cursor=next_cursor
    )


@work_comments_router.post(
    "/{submission_id}/comments",
    status_code=201,
    response_model=CommentPublic,
    summary="Comment on a work",
    responses=problems(404),
)
def submissions_create_comment(
    session: SessionDep,
    member: CurrentMember,
    submission_id: IdPath,
    data: CommentCreate,
    creation: CreationDep,
) -> Response:
    """Any member gives feedback on a work they can see; its author is notified."""
    comment = comments.create_comment(
        session, submission_id=submission_id, author=member, data=data
    )
    public = comments.present_comment(session, comment, known=[member])
    return creation.created(public, location=f"/api/v1/comments/{comment.id}")


@comments_router.get(
    "/{comment_id}", response_model=CommentPublic, summary="Get a comment", responses=GET_ONE
)
def comments_get(
    request: Request, session: SessionDep, viewer: OptionalMember, comment_id: IdPath
) -> Response:
    """One comment; visible wherever its work is."""
    comment = comments.get_comment(session, comment_id=comment_id, viewer=viewer)
    return json_response(request, comments.present_comment(session, comment, viewer=viewer))


@comments_router.patch(
    "/{comment_id}",
    response_model=CommentPublic,
    summary="Edit my comment",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(403, 404, 409, 412),
)
def comments_update(
    request: Request,
    session: SessionDep,
    member: CurrentMember,
    comment_id: IdPath,
    changes: CommentUpdate,
) -> Response:
    """Only the author edits a comment (not once deleted)."""
    comment = comments.lock_comment(session, comment_id=comment_id, viewer=member)
    require_current(request, comments.present_comment(session, comment))
    comment = comments.update_comment(session, comment=comment, changes=changes, actor=member)
    return json_response(request, comments.present_comment(session, comment))


@comments_router.delete(
    "/{comment_id}", status_code=204, summary="Delete a comment", responses=problems(403, 404)
)
def comments_delete(session: SessionDep, member: CurrentMember, comment_id: IdPath) -> Response:
    """The author (or an organizer, as moderation) deletes; a placeholder keeps its place."""
    comments.delete_comment(session, comment_id=comment_id, actor=member)
    return Response(status_code=204)


# --- ideas ---------------------------------------------------------------------------------


@ideas_router.get("", response_model=IdeaPage, summary="List ideas")
def ideas_list(
    session: SessionDep,
    member: CurrentMember,
    page: PageParamsDep,
    filters: Annotated[IdeaFilters, Query()],
) -> IdeaPage:
    """The idea box: `sort=top` (most upvoted first, the default) or `new`; filter by status."""
    rows, next_cursor = ideas.list_ideas(session, viewer=member, filters=filters, params=page)
    return IdeaPage(
        items=ideas.present_ideas(session, rows, viewer=member), next_cursor=next_cursor
    )


@ideas_router.post("", status_code=201, response_model=IdeaPublic, summary="Propose an idea")
def ideas_create(
    session: SessionDep, member: CurrentMember, data: IdeaCreate, creation: CreationDep
) -> Response:
    """Any member proposes an idea; it starts as `new`."""
    idea = ideas.create_idea(session, author=member, data=data)
    public = ideas.present_idea(session, idea, viewer=member)
    return creation.created(public, location=f"/api/v1/ideas/{idea.id}")


@ideas_router.get("/{idea_id}", response_model=IdeaPublic, summary="Get an idea", responses=GET_ONE)
def ideas_get(
    request: Request, session: SessionDep, member: CurrentMember, idea_id: IdPath
) -> Response:
    """One idea with its upvotes and the organizers' answer."""
    idea = ideas.get_idea(session, idea_id=idea_id, viewer=member)
    return json_response(request, ideas.present_idea(session, idea, viewer=member))


@ideas_router.patch(
    "/{idea_id}",
    response_model=IdeaPublic,
    summary="Answer or edit an idea",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(403, 404, 409, 412),
)
def ideas_update(
    request: Request,
    session: SessionDep,
    member: CurrentMember,
    idea_id: IdPath,
    changes: IdeaUpdate,
) -> Response:
    """Organizers set `status` and a public `response` (the proposer is notified of a new
    status); the proposer edits title and body while the idea is `new`."""
    idea = ideas.lock_idea(session, idea_id=idea_id, viewer=member)
    require_current(request, ideas.present_idea(session, idea, viewer=member))
    idea = ideas.update_idea(session, idea=idea, changes=changes, actor=member)
    return json_response(request, ideas.present_idea(session, idea, viewer=member))


@ideas_router.put(
    "/{idea_id}/upvote", response_model=IdeaPublic, summary="Upvote an idea", responses=GET_ONE
)
def ideas_upvote(
    request: Request, session: SessionDep, member: CurrentMember, idea_id: IdPath
) -> Response:
    """Idempotent: upvoting twice counts once. Returns the idea with its tally."""
    idea = ideas.upvote(session, idea_id=idea_id, member=member)
    return json_response(request, ideas.present_idea(session, idea, viewer=member))


@ideas_router.delete(
    "/{idea_id}/upvote", status_code=204, summary="Take my upvote back", responses=problems(404)
)
def ideas_remove_upvote(session: SessionDep, member: CurrentMember, idea_id: IdPath) -> Response:
    """Idempotent: without an upvote, nothing changes."""
    ideas.remove_upvote(session, idea_id=idea_id, member=member)
    return Response(status_code=204)


# --- announcements -------------------------------------------------------------------------


@announcements_router.get("", response_model=AnnouncementPage, summary="List announcements")
def announcements_list(
    session: SessionDep, _member: CurrentMember, page: PageParamsDep
) -> AnnouncementPage:
    """Announcements, pinned first, then newest first."""
    rows, next_cursor = announcements.list_announcements(session, params=page)
    items = announcements.present_announcements(session, rows)
    return AnnouncementPage(items=items, next_cursor=next_cursor)


@announcements_router.post(
    "", status_code=201, response_model=AnnouncementPublic, summary="Post an announcement"
)
def announcements_create(
    session: SessionDep, organizer: OrganizerMember, data: AnnouncementCreate, creation: CreationDep
) -> Response:
    """Organizers announce; every member finds it in their notifications."""
    announcement = announcements.create_announcement(session, author=organizer, data=data)
    public = announcements.present_announcement(session, announcement)
    return creation.created(public, location=f"/api/v1/announcements/{announcement.id}")


@announcements_router.get(
    "/{announcement_id}",
    response_model=AnnouncementPublic,
    summary="Get an announcement",
    responses=GET_ONE,
)
def announcements_get(
    request: Request, session: SessionDep, _member: CurrentMember, announcement_id: IdPath
) -> Response:
    """One announcement."""
    announcement = announcements.get_announcement(session, announcement_id=announcement_id)
    return json_response(request, announcements.present_announcement(session, announcement))


@announcements_router.patch(
    "/{announcement_id}",
    response_model=AnnouncementPublic,
    summary="Edit or (un)pin an announcement",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(404, 412),
)
def announcements_update(
    request: Request,
    session: SessionDep,
    _organizer: OrganizerMember,
    announcement_id: IdPath,
    changes: AnnouncementUpdate,
) -> Response:
    """Organizers correct or (un)pin; notifications already delivered stay as sent."""
    announcement = announcements.get_announcement(
        session, announcement_id=announcement_id, lock=True
    )
    require_current(request, announcements.present_announcement(session, announcement))
    announcement = announcements.update_announcement(
        session, announcement=announcement, changes=changes
    )
    return json_response(request, announcements.present_announcement(session, announcement))


@announcements_router.delete(
    "/{announcement_id}",
    status_code=204,
    summary="Delete an announcement",
    responses=problems(404),
)
def announcements_delete(
    session: SessionDep, _organizer: OrganizerMember, announcement_id: IdPath
) -> Response:
    """Organizers delete it; it leaves members' notifications too."""
    announcement = announcements.get_announcement(
        session, announcement_id=announcement_id, lock=True
    )
    announcements.delete_announcement(session, announcement=announcement)
    return Response(status_code=204)


# --- reports -------------------------------------------------------------------------------


@reports_router.post(
    "",
    status_code=201,
    response_model=ReportPublic,
    summary="Report content or a member",
    responses=problems(404, 409),
)
def reports_create(
    session: SessionDep, member: CurrentMember, data: ReportCreate, creation: CreationDep
) -> Response:
    """Any member reports a submission, comment, thread, post, idea or member, once each
    (409 `already_reported`). Reports of one target are grouped into one report, whose id
    is answered; organizers are notified when it (re)opens."""
    case = reports.file_report(session, reporter=member, data=data)
    public = reports.present_case(session, case, viewer=member)
    return creation.created(public, location=f"/api/v1/reports/{case.id}")


@reports_router.get("", response_model=ReportPage, summary="List reports")
def reports_list(
    session: SessionDep,
    organizer: OrganizerMember,
    page: PageParamsDep,
    filters: Annotated[ReportFilters, Query()],
) -> ReportPage:
    """Organizers: one item per reported target (every member's reports grouped), newest
    first; filter by status or target type."""
    rows, next_cursor = reports.list_cases(session, filters=filters, params=page)
    items = reports.present_cases(session, rows, viewer=organizer)
    return ReportPage(items=items, next_cursor=next_cursor)


@reports_router.get(
    "/{report_id}", response_model=ReportPublic, summary="Get a report", responses=GET_ONE
)
def reports_get(
    request: Request, session: SessionDep, member: CurrentMember, report_id: IdPath
) -> Response:
    """Organizers see every report; a member the ones they filed (with only their reason)."""
    case = reports.get_case(session, case_id=report_id, viewer=member)
    return json_response(request, reports.present_case(session, case, viewer=member))


@reports_router.patch(
    "/{report_id}",
    response_model=ReportPublic,
    summary="Resolve or dismiss a report",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(404, 412),
)
def reports_update(
    request: Request,
    session: SessionDep,
    organizer: OrganizerMember,
    report_id: IdPath,
    changes: ReportUpdate,
) -> Response:
    """Organizers decide for every report of the target at once (the grouped report):
    `resolved` or `dismissed`, and `hide_target` hides it from members (or shows it again)."""
    case = reports.get_case(session, case_id=report_id, viewer=organizer, lock=True)
    require_current(request, reports.present_case(session, case, viewer=organizer))
    case = reports.decide(session, case=case, changes=changes, organizer=organizer)
    return json_response(request, reports.present_case(session, case, viewer=organizer))


# Included one by one by app.api: a router inside a router costs a second match per request.
routers = (
    threads_router,
    posts_router,
    work_comments_router,
    comments_router,
    ideas_router,
    announcements_router,
    reports_router,
)
