from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from app.core.pagination import Page
from app.core.patching import PatchBody
from app.core.types import NonBlankText, PositiveInt, ScheduleDate, Text, Title
from app.media.schemas import MediaOut
from app.members.schemas import Skill
from app.models import MembershipStatus, ProjectKind, ProjectRole, ProjectStatus, TaskStatus

ProjectTitle = Annotated[Title, StringConstraints(max_length=200)]
Summary = Annotated[Text, StringConstraints(max_length=5000)]
Description = Annotated[Text, StringConstraints(max_length=5000)]
Body = Annotated[NonBlankText, StringConstraints(max_length=10_000)]
LookingFor = Annotated[list[Skill], Field(max_length=20)]
DueDate = ScheduleDate
COVER_DESCRIPTION = "One of the caller's uploaded images (`POST /api/v1/media`), shown as `cover`."


# --- projects ------------------------------------------------------------------------------

_PROJECT_INPUT_EXAMPLE: dict[str, Any] = {
    "title": "Kumpulan Cerita Kota: a community e-book",
    "summary": "Twelve short stories about our cities, illustrated by members.",
    "kind": "ebook",
    "status": "proposed",
    "looking_for": ["editing", "illustration", "layout"],
}


def _starts_proposed(value: object) -> object:
    if value not in (ProjectStatus.PROPOSED, ProjectStatus.PROPOSED.value):
        raise ValueError(
            "A project starts proposed; move it on (active, completed, archived) with "
            "PATCH /api/v1/projects/{project_id} once it exists."
        )
    return value


# Completion is a transition, with who may make it and what it earns (a badge, the
# `project.completed` webhook): a project created completed skipped both.
InitialProjectStatus = Annotated[Literal[ProjectStatus.PROPOSED], BeforeValidator(_starts_proposed)]


class ProjectCreate(BaseModel):
    """A new project, `proposed`; the creator becomes its first coordinator."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [_PROJECT_INPUT_EXAMPLE]}
    )

    title: ProjectTitle
    summary: Summary = ""
    kind: ProjectKind
    status: InitialProjectStatus = Field(
        default=ProjectStatus.PROPOSED,
        description="Always `proposed`: later states are reached with `PATCH`.",
    )
    looking_for: LookingFor = Field(
        default_factory=list, description="Skills the project needs (any case)."
    )
    cover_media_id: PositiveInt | None = Field(default=None, description=COVER_DESCRIPTION)


class ProjectUpdate(PatchBody):
    """Changes to a project; only the fields sent change."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "active"}, {"looking_for": ["layout"]}]},
    )

    title: ProjectTitle | None = None
    summary: Summary | None = None
    kind: ProjectKind | None = None
    status: ProjectStatus | None = None
    looking_for: LookingFor | None = None
    cover_media_id: PositiveInt | None = Field(
        default=None, description=COVER_DESCRIPTION + " `null` removes the cover."
    )

    not_nullable = frozenset({"title", "summary", "kind", "status", "looking_for"})


class MyMembership(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"role": "contributor", "status": "active"}]}
    )

    role: ProjectRole
    status: MembershipStatus


class ProjectPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 5,
                    **_PROJECT_INPUT_EXAMPLE,
                    "status": "active",
                    "member_count": 4,
                    "coordinator_ids": [7],
                    "my_membership": {"role": "contributor", "status": "active"},
                    "cover": None,
                    "created_by_id": 7,
                    "created_at": "2026-10-01T09:00:00Z",
                    "updated_at": "2026-11-02T12:00:00Z",
                    "completed_at": None,
                }
            ]
        }
    )

    id: int
    title: str
    summary: str
    kind: ProjectKind
    status: ProjectStatus
    looking_for: list[str]
    member_count: int = Field(description="Active members, coordinators included.")
    coordinator_ids: list[int]
    my_membership: MyMembership | None = Field(
        description="The caller's membership or join request; null when they have neither."
    )
    cover: MediaOut | None = Field(description="The cover image (`cover_media_id`), or null.")
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = Field(description="When it was first completed.")


class ProjectPage(Page[ProjectPublic]):
    pass


class ProjectFilters(BaseModel):
    status: ProjectStatus | None = None
    kind: ProjectKind | None = None
    looking_for: Skill | None = Field(
        default=None, description="Projects looking for this skill (any case)."
    )


# --- membership ----------------------------------------------------------------------------


class ProjectMemberCreate(BaseModel):
    """`{}` asks to join (a pending request); a coordinator sends `member_id` (and `role`)
    to add someone directly."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{}, {"member_id": 31, "role": "contributor"}]},
    )

    member_id: PositiveInt | None = None
    role: ProjectRole | None = Field(
        default=None, description="With `member_id` only; `contributor` when left out."
    )

    @model_validator(mode="after")
    def _role_needs_member(self) -> ProjectMemberCreate:
        if self.role is not None and self.member_id is None:
            raise ValueError("role can only be given with member_id (a coordinator's add)")
        return self


class ProjectMemberUpdate(PatchBody):
    """A coordinator approves a request (`status: active`) and may set the role."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"status": "active"}, {"status": "active", "role": "coordinator"}]
        },
    )

    status: Literal[MembershipStatus.ACTIVE] | None = None
    role: ProjectRole | None = None

    not_nullable = frozenset({"status", "role"})


class ProjectMemberPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "project_id": 5,
                    "member_id": 31,
                    "handle": "budi",
                    "display_name": "Budi Santoso",
                    "avatar_url": None,
                    "role": "contributor",
                    "status": "active",
                    "requested_at": "2026-10-03T08:00:00Z",
                    "joined_at": "2026-10-04T10:00:00Z",
                }
            ]
        }
    )

    project_id: int
    member_id: int
    handle: str
    display_name: str
    avatar_url: str | None
    role: ProjectRole
    status: MembershipStatus
    requested_at: datetime = Field(description="When the request was made or the member added.")
    joined_at: datetime | None = Field(description="When the membership became active.")


class ProjectMemberPage(Page[ProjectMemberPublic]):
    pass


class ProjectMemberFilters(BaseModel):
    status: MembershipStatus | None = Field(
        default=None,
        description="Coordinators and organizers see every request; others only their own.",
    )
    role: ProjectRole | None = None


# --- tasks ---------------------------------------------------------------------------------


class ProjectTaskCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Edit the first four stories",
                    "description": "Line edits and a style sheet for the rest.",
                    "status": "todo",
                    "assignee_id": 31,
                    "due_on": "2026-12-15",
                }
            ]
        },
    )

    title: ProjectTitle
    description: Description = ""
    status: TaskStatus = TaskStatus.TODO
    assignee_id: PositiveInt | None = Field(
        default=None, description="An active member of the project."
    )
    due_on: DueDate | None = None


class ProjectTaskUpdate(PatchBody):
    """Changes to a task; `assignee_id` or `due_on` null clears them."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "done"}, {"assignee_id": None}]},
    )

    title: ProjectTitle | None = None
    description: Description | None = None
    status: TaskStatus | None = None
    assignee_id: PositiveInt | None = None
    due_on: DueDate | None = None

    not_nullable = frozenset({"title", "description", "status"})


class ProjectTaskPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 40,
                    "project_id": 5,
                    "title": "Edit the first four stories",
                    "description": "Line edits and a style sheet for the rest.",
                    "status": "doing",
                    "assignee_id": 31,
                    "due_on": "2026-12-15",
                    "created_by_id": 7,
                    "created_at": "2026-11-01T09:00:00Z",
                    "updated_at": "2026-11-03T09:00:00Z",
                    "completed_at": None,
                }
            ]
        }
    )

    id: int
    project_id: int
    title: str
    description: str
    status: TaskStatus
    assignee_id: int | None
    due_on: date | None
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = Field(
        description="When the task was first done; kept if it is reopened."
    )


class ProjectTaskPage(Page[ProjectTaskPublic]):
    pass


class ProjectTaskFilters(BaseModel):
    status: TaskStatus | None = None
    assignee_id: PositiveInt | None = None


# --- progress updates ----------------------------------------------------------------------


class ProgressUpdateCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "First draft done",
                    "body": "All twelve stories are in; illustrations start next week.",
                }
            ]
        },
    )

    title: ProjectTitle | None = None
    body: Body


class ProgressUpdatePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 9,
                    "project_id": 5,
                    "author_id": 7,
                    "title": "First draft done",
                    "body": "All twelve stories are in; illustrations start next week.",
                    "created_at": "2026-11-20T09:00:00Z",
                }
            ]
        }
    )

    id: int
    project_id: int
    author_id: int | None
    title: str | None
    body: str
    created_at: datetime


class ProgressUpdatePage(Page[ProgressUpdatePublic]):
    pass
