from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response
from sqlmodel import Session

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
from app.models import Member, Project, ProjectRole
from app.principal.dependencies import CreationDep, CurrentMember, CurrentReader
from app.projects import reads, service
from app.projects.dependencies import (
    LockedProjectDep,
    ManagedProjectDep,
    ProjectDep,
    SharedProjectDep,
)
from app.projects.schemas import (
    ProgressUpdateCreate,
    ProgressUpdatePage,
    ProgressUpdatePublic,
    ProjectCreate,
    ProjectFilters,
    ProjectMemberCreate,
    ProjectMemberFilters,
    ProjectMemberPage,
    ProjectMemberPublic,
    ProjectMemberUpdate,
    ProjectPage,
    ProjectPublic,
    ProjectTaskCreate,
    ProjectTaskFilters,
    ProjectTaskPage,
    ProjectTaskPublic,
    ProjectTaskUpdate,
    ProjectUpdate,
)
from app.readmodels import read

router = ResourceRouter(prefix="/projects", tags=["projects"])


def _shown(session: Session, project: Project, *, viewer: Member) -> ProjectPublic:
    """A project a write has in its Session, as `GET /projects/{id}` shows it."""
    return reads.present(session, [project], viewer=viewer)[0]


# --- projects ------------------------------------------------------------------------------


@router.post("", status_code=201, response_model=ProjectPublic, summary="Create a project")
def projects_create(
    session: SessionDep, member: CurrentMember, data: ProjectCreate, creation: CreationDep
) -> Response:
    """Any member proposes a project and becomes its first coordinator."""
    project = service.create_project(session, creator=member, data=data)
    public = _shown(session, project, viewer=member)
    return creation.created(public, location=f"/api/v1/projects/{project.id}")


@router.get("", response_model=ProjectPage, summary="List projects")
def projects_list(
    session: SessionDep,
    member: CurrentMember,
    page: PageParamsDep,
    filters: Annotated[ProjectFilters, Query()],
) -> ProjectPage:
    """Projects, newest first, for members; filter by status, kind or a skill looked for."""
    projects, next_cursor = service.list_projects(session, filters=filters, params=page)
    items = reads.present(session, projects, viewer=member)
    return ProjectPage(items=items, next_cursor=next_cursor)


@router.get(
    "/{project_id}",
    response_model=ProjectPublic,
    summary="Get a project",
    responses=CONDITIONAL_GET_RESPONSES | problems(404),
)
async def projects_get(request: Request, member: CurrentReader, project_id: IdPath) -> Response:
    """One project with its coordinators and the caller's membership."""
    shown = await read(request, reads.project, project_id=project_id, viewer=member)
    return json_response(request, shown)


@router.patch(
    "/{project_id}",
    response_model=ProjectPublic,
    summary="Update a project",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(412),
)
def projects_update(
    request: Request,
    session: SessionDep,
    member: CurrentMember,
    project: ManagedProjectDep,
    changes: ProjectUpdate,
) -> Response:
    """Coordinators (or organizers) edit; send `If-Match`. The first move to `completed`
    announces the project's completion, a contribution for every active member."""
    require_current(request, _shown(session, project, viewer=member))
    project = service.update_project(session, project=project, changes=changes, actor=member)
    return json_response(request, _shown(session, project, viewer=member))


@router.delete("/{project_id}", status_code=204, summary="Delete a project")
def projects_delete(project: ManagedProjectDep, session: SessionDep) -> Response:
    """Coordinators (or organizers) delete the project with its members, tasks and updates."""
    service.delete_project(session, project=project)
    return Response(status_code=204)


# --- members -------------------------------------------------------------------------------


@router.get("/{project_id}/members", response_model=ProjectMemberPage, summary="List members")
def projects_list_members(
    session: SessionDep,
    member: CurrentMember,
    project: ProjectDep,
    page: PageParamsDep,
    filters: Annotated[ProjectMemberFilters, Query()],
) -> ProjectMemberPage:
    """Active members; coordinators and organizers also see pending requests."""
    rows, next_cursor = service.list_memberships(
        session, project=project, viewer=member, filters=filters, params=page
    )
    return ProjectMemberPage(
        items=service.present_memberships(session, rows), next_cursor=next_cursor
    )


@router.post(
    "/{project_id}/members",
    status_code=201,
    response_model=ProjectMemberPublic,
    summary="Ask to join, or add a member",
    responses=problems(403, 404, 409),
)
def projects_add_member(
    session: SessionDep,
    member: CurrentMember,
    project: LockedProjectDep,
    data: ProjectMemberCreate,
    creation: CreationDep,
) -> Response:
    """`{}` asks to join (`pending`; coordinators are notified). Coordinators send
    `{member_id, role}` to add someone directly (`active`; they are notified)."""
    row = service.create_membership(
        session,
        project=project,
        actor=member,
        member_id=data.member_id,
        role=data.role or ProjectRole.CONTRIBUTOR,
    )
    public = service.present_memberships(session, [row])[0]
    return creation.created(
        public, location=f"/api/v1/projects/{project.id}/members/{row.member_id}"
    )


@router.get(
    "/{project_id}/members/{member_id}",
    response_model=ProjectMemberPublic,
    summary="Get a membership",
    responses=CONDITIONAL_GET_RESPONSES | problems(404),
)
def projects_get_member(
    request: Request,
    session: SessionDep,
    member: CurrentMember,
    project: ProjectDep,
    member_id: IdPath,
) -> Response:
    """A member's role and status in the project (pending requests: managers and requester)."""
    row = service.get_membership(session, project=project, member_id=member_id, viewer=member)
    return json_response(request, service.present_memberships(session, [row])[0])


@router.patch(
    "/{project_id}/members/{member_id}",
    response_model=ProjectMemberPublic,
    summary="Approve a request or change a role",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(404, 409, 412),
)
def projects_update_member(
    request: Request,
    session: SessionDep,
    member: CurrentMember,
    project: ManagedProjectDep,
    member_id: IdPath,
    changes: ProjectMemberUpdate,
) -> Response:
    """Coordinators approve (`status: active`) and set `role`; the last coordinator cannot
    be demoted (409 `last_coordinator`)."""
    row = service.get_membership(session, project=project, member_id=member_id, viewer=member)
    require_current(request, service.present_memberships(session, [row])[0])
    row = service.change_membership(
        session, project=project, row=row, changes=changes, actor=member
    )
    return json_response(request, service.present_memberships(session, [row])[0])


@router.delete(
    "/{project_id}/members/{member_id}",
    status_code=204,
    summary="Leave, decline or remove",
    responses=problems(403, 404, 409),
)
def projects_remove_member(
    session: SessionDep, member: CurrentMember, project: LockedProjectDep, member_id: IdPath
) -> Response:
    """Members leave (or withdraw a request); coordinators decline requests and remove
    members. Their tasks are unassigned. The last coordinator cannot leave (409)."""
    row = service.membership_for_removal(
        session, project=project, member_id=member_id, actor=member
    )
    service.remove_membership(session, project=project, row=row, actor=member)
    return Response(status_code=204)


# --- tasks ---------------------------------------------------------------------------------


@router.get("/{project_id}/tasks", response_model=ProjectTaskPage, summary="List tasks")
def projects_list_tasks(
    session: SessionDep,
    project: ProjectDep,
    page: PageParamsDep,
    filters: Annotated[ProjectTaskFilters, Query()],
) -> ProjectTaskPage:
    """The task board in creation order; filter by status or assignee."""
    tasks, next_cursor = service.list_tasks(session, project=project, filters=filters, params=page)
    return ProjectTaskPage(items=[service.present_task(t) for t in tasks], next_cursor=next_cursor)


@router.post(
    "/{project_id}/tasks",
    status_code=201,
    response_model=ProjectTaskPublic,
    summary="Create a task",
    responses=problems(403),
)
def projects_create_task(
    session: SessionDep,
    member: CurrentMember,
    project: SharedProjectDep,
    data: ProjectTaskCreate,
    creation: CreationDep,
) -> Response:
    """Active project members add tasks; an assignee must be an active member (422)."""
    task = service.create_task(session, project=project, actor=member, data=data)
    location = f"/api/v1/projects/{project.id}/tasks/{task.id}"
    return creation.created(service.present_task(task), location=location)


@router.get(
    "/{project_id}/tasks/{task_id}",
    response_model=ProjectTaskPublic,
    summary="Get a task",
    responses=CONDITIONAL_GET_RESPONSES | problems(404),
)
def projects_get_task(
    request: Request, session: SessionDep, project: ProjectDep, task_id: IdPath
) -> Response:
    """One task of the board."""
    task = service.get_task(session, project=project, task_id=task_id)
    return json_response(request, service.present_task(task))


@router.patch(
    "/{project_id}/tasks/{task_id}",
    response_model=ProjectTaskPublic,
    summary="Update a task",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(403, 404, 412),
)
def projects_update_task(
    request: Request,
    session: SessionDep,
    member: CurrentMember,
    project: SharedProjectDep,
    task_id: IdPath,
    changes: ProjectTaskUpdate,
) -> Response:
    """Active members move, assign and edit tasks; the first time a task is `done` counts
    as a contribution (`task.completed`)."""
    task = service.lock_task_for_edit(
        session, project=project, task_id=task_id, actor=member, assignee_id=changes.assignee_id
    )
    require_current(request, service.present_task(task))
    task = service.update_task(session, task=task, changes=changes, actor=member)
    return json_response(request, service.present_task(task))


@router.delete(
    "/{project_id}/tasks/{task_id}",
    status_code=204,
    summary="Delete a task",
    responses=problems(403, 404),
)
def projects_delete_task(
    session: SessionDep, member: CurrentMember, project: SharedProjectDep, task_id: IdPath
) -> Response:
    """The task's author or a coordinator deletes it."""
    task = service.lock_task_for_edit(session, project=project, task_id=task_id, actor=member)
    service.delete_task(session, project=project, task=task, actor=member)
    return Response(status_code=204)


# --- progress updates ----------------------------------------------------------------------


@router.get(
    "/{project_id}/updates", response_model=ProgressUpdatePage, summary="List progress updates"
)
def projects_list_updates(
    session: SessionDep, project: ProjectDep, page: PageParamsDep
) -> ProgressUpdatePage:
    """The project's progress log, newest first; readable by every member."""
    updates, next_cursor = service.list_updates(session, project=project, params=page)
    items = [service.present_update(u) for u in updates]
    return ProgressUpdatePage(items=items, next_cursor=next_cursor)


@router.post(
    "/{project_id}/updates",
    status_code=201,
    response_model=ProgressUpdatePublic,
    summary="Post a progress update",
    responses=problems(403),
)
def projects_post_update(
    session: SessionDep,
    member: CurrentMember,
    project: SharedProjectDep,
    data: ProgressUpdateCreate,
    creation: CreationDep,
) -> Response:
    """Active project members write to the progress log."""
    update = service.post_update(session, project=project, author=member, data=data)
    location = f"/api/v1/projects/{project.id}/updates/{update.id}"
    return creation.created(service.present_update(update), location=location)


@router.get(
    "/{project_id}/updates/{update_id}",
    response_model=ProgressUpdatePublic,
    summary="Get a progress update",
    responses=CONDITIONAL_GET_RESPONSES | problems(404),
)
def projects_get_update(
    request: Request, session: SessionDep, project: ProjectDep, update_id: IdPath
) -> Response:
    """One entry of the progress log."""
    update = service.get_update(session, project=project, update_id=update_id)
    return json_response(request, service.present_update(update))
