from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)
from typing_extensions import TypeAliasType

from app.core.pagination import Page
from app.core.patching import PatchBody
from app.core.types import Flag, NonBlankText, PositiveInt, Text, Title
from app.models import CaseStatus, IdeaStatus, ReportTarget

# Text bounds: titles 200; thread, post, comment and announcement bodies 10,000; ideas and
# organizers' responses 5,000; report reasons and notes 1,000.
ConversationTitle = Annotated[Title, StringConstraints(max_length=200)]
Body = Annotated[NonBlankText, StringConstraints(max_length=10_000)]
IdeaBody = Annotated[NonBlankText, StringConstraints(max_length=5000)]
Response = Annotated[Text, StringConstraints(max_length=5000)]
Reason = Annotated[NonBlankText, StringConstraints(max_length=1000)]
Note = Annotated[Text, StringConstraints(max_length=1000)]
Category = Annotated[Title, StringConstraints(max_length=50)]


class Author(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 7, "handle": "rina", "display_name": "Rina Wijaya", "avatar_url": None}
            ]
        }
    )

    id: int
    handle: str
    display_name: str
    avatar_url: str | None


_AUTHOR: dict[str, Any] = {
    "id": 7,
    "handle": "rina",
    "display_name": "Rina Wijaya",
    "avatar_url": None,
}
_AUTHOR_FIELD = Field(description="Null when the post is deleted or its author left.")
_HIDDEN_FIELD = Field(description="Hidden by an organizer after a report (organizers only).")


# --- threads -------------------------------------------------------------------------------

_THREAD_INPUT: dict[str, Any] = {
    "title": "Which risograph inks hold up in humid weather?",
    "body": "Our zine run smeared last week. What do you use in Jakarta's rainy season?",
    "category": "printing",
}


class ThreadCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_THREAD_INPUT]})

    title: ConversationTitle
    body: Body
    category: Category | None = None


class ThreadUpdate(PatchBody):
    """The author edits `title`, `body` and `category`; organizers set `pinned` and `locked`
    (a member sending those gets 403 `organizer_only_fields`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"title": "Riso inks in humid weather"}, {"locked": True}]},
    )

    title: ConversationTitle | None = None
    body: Body | None = None
    category: Category | None = Field(default=None, description="Null clears it.")
    pinned: Flag | None = None
    locked: Flag | None = None

    not_nullable = frozenset({"title", "body", "pinned", "locked"})


class ThreadPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    **_THREAD_INPUT,
                    "author": _AUTHOR,
                    "pinned": False,
                    "locked": False,
                    "post_count": 4,
                    "last_post_at": "2026-11-30T08:15:00Z",
                    "created_at": "2026-11-29T10:00:00Z",
                    "updated_at": "2026-11-29T10:00:00Z",
                    "hidden": False,
                }
            ]
        }
    )

    id: int
    title: str
    body: str
    category: str | None
    author: Author | None = Field(description="Null when the author left the community.")
    pinned: bool
    locked: bool = Field(description="A locked thread takes no new posts.")
    post_count: int = Field(description="Replies, not counting deleted ones.")
    last_post_at: datetime = Field(description="The latest reply, or the thread's creation.")
    created_at: datetime
    updated_at: datetime
    hidden: bool = _HIDDEN_FIELD


class ThreadPage(Page[ThreadPublic]):
    pass


# --- posts ---------------------------------------------------------------------------------


class PostCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"body": "Soy-based inks and a dehumidifier."}]},
    )

    body: Body


class PostUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"body": "Soy-based inks, and a fan."}]}
    )

    body: Body


class PostPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 40,
                    "thread_id": 12,
                    "author": _AUTHOR,
                    "body": "Soy-based inks and a dehumidifier.",
                    "created_at": "2026-11-30T08:15:00Z",
                    "updated_at": "2026-11-30T08:15:00Z",
                    "deleted": False,
                    "hidden": False,
                }
            ]
        }
    )

    id: int
    thread_id: int
    author: Author | None = _AUTHOR_FIELD
    body: str | None = Field(description="Null when the post is deleted.")
    created_at: datetime
    updated_at: datetime
    deleted: bool = Field(description="Deleted posts keep their place, without body or author.")
    hidden: bool = _HIDDEN_FIELD


class PostPage(Page[PostPublic]):
    pass


# --- comments ------------------------------------------------------------------------------


class CommentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"body": "The light on the left edge is beautiful."}]},
    )

    body: Body


class CommentUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"body": "The light on the left edge is lovely."}]},
    )

    body: Body


class CommentPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 88,
                    "submission_id": 301,
                    "author": _AUTHOR,
                    "body": "The light on the left edge is beautiful.",
                    "created_at": "2026-11-30T09:00:00Z",
                    "updated_at": "2026-11-30T09:00:00Z",
                    "deleted": False,
                    "hidden": False,
                }
            ]
        }
    )

    id: int
    submission_id: int
    author: Author | None = _AUTHOR_FIELD
    body: str | None = Field(description="Null when the comment is deleted.")
    created_at: datetime
    updated_at: datetime
    deleted: bool = Field(description="Deleted comments keep their place, without body.")
    hidden: bool = _HIDDEN_FIELD


class CommentPage(Page[CommentPublic]):
    pass


# --- ideas ---------------------------------------------------------------------------------

_IDEA_INPUT: dict[str, Any] = {
    "title": "A monthly print swap",
    "body": "Everyone brings five prints and leaves with five others.",
}


class IdeaSort(StrEnum):
    TOP = "top"
    NEW = "new"


class IdeaFilters(BaseModel):
    sort: IdeaSort = Field(
        default=IdeaSort.TOP, description="`top`: most upvoted first; `new`: newest first."
    )
    status: IdeaStatus | None = None


class IdeaCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_IDEA_INPUT]})

    title: ConversationTitle
    body: IdeaBody


class IdeaUpdate(PatchBody):
    """Organizers set `status` and `response`; the proposer may edit `title` and `body`
    while the idea is still `new` (409 `idea_no_longer_new` after)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"status": "planned", "response": "Yes! The first swap is at the January social."},
                {"title": "A monthly print and zine swap"},
            ]
        },
    )

    title: ConversationTitle | None = None
    body: IdeaBody | None = None
    status: IdeaStatus | None = None
    response: Response | None = Field(default=None, description="Null clears it.")

    not_nullable = frozenset({"title", "body", "status"})


class IdeaPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 9,
                    **_IDEA_INPUT,
                    "author": _AUTHOR,
                    "status": "planned",
                    "response": "Yes! The first swap is at the January social.",
                    "responded_at": "2026-11-30T12:00:00Z",
                    "upvote_count": 23,
                    "upvoted": True,
                    "created_at": "2026-11-20T10:00:00Z",
                    "updated_at": "2026-11-30T12:00:00Z",
                    "hidden": False,
                }
            ]
        }
    )

    id: int
    title: str
    body: str
    author: Author | None = Field(description="Null when the proposer left the community.")
    status: IdeaStatus
    response: str | None = Field(description="The organizers' public answer.")
    responded_at: datetime | None
    upvote_count: int
    upvoted: bool = Field(description="Whether the caller upvoted it.")
    created_at: datetime
    updated_at: datetime
    hidden: bool = _HIDDEN_FIELD


class IdeaPage(Page[IdeaPublic]):
    pass


# --- announcements -------------------------------------------------------------------------

_ANNOUNCEMENT_INPUT: dict[str, Any] = {
    "title": "The year-end exhibition opens on 20 December",
    "body": "Forty works from this year's challenges, at Galeri Kota, Bandung.",
    "pinned": True,
}


class AnnouncementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_ANNOUNCEMENT_INPUT]})

    title: ConversationTitle
    body: Body
    pinned: Flag = False


class AnnouncementUpdate(PatchBody):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"pinned": False}]})

    title: ConversationTitle | None = None
    body: Body | None = None
    pinned: Flag | None = None

    not_nullable = frozenset({"title", "body", "pinned"})


class AnnouncementPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    **_ANNOUNCEMENT_INPUT,
                    "author": _AUTHOR,
                    "created_at": "2026-12-01T09:00:00Z",
                    "updated_at": "2026-12-01T09:00:00Z",
                }
            ]
        }
    )

    id: int
    title: str
    body: str
    pinned: bool
    author: Author | None = Field(description="Null when the organizer left the community.")
    created_at: datetime
    updated_at: datetime


class AnnouncementPage(Page[AnnouncementPublic]):
    pass


# --- reports -------------------------------------------------------------------------------


class ReportCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "target_type": "comment",
                    "target_id": 88,
                    "reason": "Insults the author instead of the work.",
                }
            ]
        },
    )

    target_type: ReportTarget
    target_id: PositiveInt
    reason: Reason


ReportDecision = TypeAliasType("ReportDecision", Literal[CaseStatus.RESOLVED, CaseStatus.DISMISSED])


class ReportUpdate(BaseModel):
    """An organizer's decision on every report of the target."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"status": "resolved", "hide_target": True, "note": "Personal attack."},
                {"status": "dismissed"},
            ]
        },
    )

    status: ReportDecision
    hide_target: Flag | None = Field(
        default=None,
        description="True hides the target from members (organizers still see it); false "
        "shows it again; left out, its visibility does not change.",
    )
    note: Note | None = Field(default=None, description="For the organizers' records.")


class ReportFilters(BaseModel):
    status: CaseStatus | None = None
    target_type: ReportTarget | None = None


class ReportEntry(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reporter_id": 31,
                    "reason": "Insults the author instead of the work.",
                    "reported_at": "2026-11-30T10:00:00Z",
                }
            ]
        }
    )

    reporter_id: int
    reason: str
    reported_at: datetime


REPORTS_SHOWN = 10


class ReportPublic(BaseModel):
    """A report as organizers see it: every member's report of one target, grouped."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 4,
                    "target_type": "comment",
                    "target_id": 88,
                    "status": "open",
                    "report_count": 2,
                    "reports": [
                        {
                            "reporter_id": 31,
                            "reason": "Insults the author instead of the work.",
                            "reported_at": "2026-11-30T10:00:00Z",
                        }
                    ],
                    "first_reported_at": "2026-11-30T09:30:00Z",
                    "last_reported_at": "2026-11-30T10:00:00Z",
                    "target_hidden": False,
                    "resolved_at": None,
                    "resolved_by_id": None,
                    "note": None,
                }
            ]
        }
    )

    id: int
    target_type: ReportTarget
    target_id: int
    status: CaseStatus
    report_count: int = Field(description="How many members reported the target.")
    reports: list[ReportEntry] = Field(
        description=f"The {REPORTS_SHOWN} latest reports, newest first; a reporter sees only "
        "their own."
    )
    first_reported_at: datetime
    last_reported_at: datetime
    target_hidden: bool
    resolved_at: datetime | None
    resolved_by_id: int | None
    note: str | None = Field(description="The deciding organizer's note (organizers only).")


class ReportPage(Page[ReportPublic]):
    pass
