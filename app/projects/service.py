"""Projects, their members and roles, the task board and the progress log.

How the rules hold under concurrency:
- the last coordinator: `coordinator_count` on the project row is only lowered by
  `UPDATE … SET coordinator_count = coordinator_count - 1 WHERE coordinator_count > 1`;
  its row count decides (two coordinators leaving at once: the second finds 1 and is
  refused), and a CHECK (`coordinator_count >= 1`) backs it up in the database;
- `project.completed` and `task.completed` fire once: each is published only by the
  request whose `UPDATE … SET completed_at = now WHERE completed_at IS NULL` changed a row;
- assignees are members: a task write share-locks the memberships it relies on, and a
  member leaving deletes their membership row *before* unassigning their tasks, so either
  the write waits for the leave (and then finds no membership) or the leave waits for the
  write (and then unassigns what it wrote).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.core.db import NO_SYNC, rows_affected
from app.core.domain_events import (
    ProjectCompleted,
    ProjectCreated,
    ProjectJoinApproved,
    ProjectJoinDeclined,
    ProjectJoinRequested,
    ProjectMemberAdded,
    ProjectMemberRemoved,
    ProjectMembershipChanged,
    ProjectUpdatePosted,
    TaskCompleted,
    publish,
)
from app.core.pagination import PageParams, asc, desc, paginate
from app.core.tables import id_of
from app.i18n import N_
from app.media import access as media_access
from app.media import attachments
from app.members.exceptions import MemberNotFound
from app.models import (
    Member,
    MembershipStatus,
    ProgressUpdate,
    Project,
    ProjectMember,
    ProjectRole,
    ProjectSkill,
    ProjectStatus,
    ProjectTask,
    TaskStatus,
)
from app.problems.details import does_not_exist
from app.projects import policies
from app.projects.exceptions import (
    AlreadyProjectMember,
    AssigneeNotProjectMember,
    JoinRequestPending,
    LastCoordinator,
    NotTaskOwner,
    ProgressUpdateNotFound,
    ProjectMemberNotFound,
    ProjectNotFound,
    ProjectNotOpen,
    TaskNotFound,
)
from app.projects.schemas import (
    ProgressUpdateCreate,
    ProgressUpdatePublic,
    ProjectCreate,
    ProjectFilters,
    ProjectMemberFilters,
    ProjectMemberPublic,
    ProjectMemberUpdate,
    ProjectTaskCreate,
    ProjectTaskFilters,
    ProjectTaskPublic,
    ProjectTaskUpdate,
    ProjectUpdate,
)

# Join requests are for projects still under way.
_OPEN_STATUSES = (ProjectStatus.PROPOSED, ProjectStatus.ACTIVE)


# --- projects ------------------------------------------------------------------------------


def get_project(session: Session, *, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise does_not_exist(ProjectNotFound, N_("Project"), project_id)
    return project


def lock_project(session: Session, *, project_id: int, exclusive: bool) -> Project:
    """The project, locked `FOR NO KEY UPDATE` (exclusive) or `FOR KEY SHARE`."""
    statement = (
        select(Project)
        .where(Project.id == project_id)
        .with_for_update(read=not exclusive, key_share=True)
        .execution_options(populate_existing=True)
    )
    project = session.exec(statement).first()
    if project is None:
        raise does_not_exist(ProjectNotFound, N_("Project"), project_id)
    return project


def _attach_cover(session: Session, *, cover_media_id: int | None, actor: Member) -> None:
    """A cover is one of the caller's own images (app.media.attachments)."""
    if cover_media_id is not None:
        attachments.attach(
            session,
            owner_id=id_of(actor),
            media_ids=[cover_media_id],
            field="cover_media_id",
            kinds=attachments.IMAGES,
            listed=False,
        )


@media_access.register
def shows_cover(session: Session, media_id: int, viewer: Member | None) -> bool:
    """Whether the media is a project's cover: every member sees every project."""
    if viewer is None:
        return False
    statement = select(Project.id).where(col(Project.cover_media_id) == media_id).limit(1)
    return session.exec(statement).first() is not None


def create_project(session: Session, *, creator: Member, data: ProjectCreate) -> Project:
    now = utcnow()
    _attach_cover(session, cover_media_id=data.cover_media_id, actor=creator)
    project = Project(
        **data.model_dump(exclude={"looking_for"}),
        member_count=1,
        coordinator_count=1,
        created_by_id=creator.id,
        created_at=now,
        updated_at=now,
    )
    session.add(project)
    session.flush()
    session.add(
        ProjectMember(
            project_id=id_of(project),
            member_id=id_of(creator),
            role=ProjectRole.COORDINATOR,
            status=MembershipStatus.ACTIVE,
            created_at=now,
            joined_at=now,
        )
    )
    _replace_skills(session, project_id=id_of(project), values=data.looking_for)
    publish(session, ProjectCreated(actor_id=creator.id, project_id=id_of(project)))
    return project


def _replace_skills(session: Session, *, project_id: int, values: list[str]) -> None:
    session.execute(sa.delete(ProjectSkill).where(col(ProjectSkill.project_id) == project_id))
    unique: dict[str, str] = {}
    for value in values:
        unique.setdefault(value.lower(), value)
    for position, (key, value) in enumerate(unique.items()):
        session.add(
            ProjectSkill(project_id=project_id, value_key=key, value=value, position=position)
        )
    session.flush()


def update_project(
    session: Session, *, project: Project, changes: ProjectUpdate, actor: Member
) -> Project:
    """Applies the changes to a locked project; the first move to `completed` announces it."""
    now = utcnow()
    sent = changes.model_dump(exclude_unset=True)
    _attach_cover(session, cover_media_id=sent.get("cover_media_id"), actor=actor)
    if "looking_for" in sent:
        _replace_skills(session, project_id=id_of(project), values=sent.pop("looking_for"))
    for field, value in sent.items():
        setattr(project, field, value)
    if changes.model_fields_set:
        project.updated_at = now
    session.add(project)
    session.flush()
    if project.status == ProjectStatus.COMPLETED:
        _complete_once(session, project, actor=actor, now=now)
    return project


def _complete_once(session: Session, project: Project, *, actor: Member, now: datetime) -> None:
    marked = session.execute(
        sa.update(Project)
        .where(col(Project.id) == project.id, col(Project.completed_at).is_(None))
        .values(completed_at=now),
        execution_options=NO_SYNC,
    )
    if rows_affected(marked) == 0:
        return  # completed before: its contributions were counted then
    session.refresh(project)
    member_ids = session.exec(
        select(ProjectMember.member_id)
        .where(
            ProjectMember.project_id == project.id,
            ProjectMember.status == MembershipStatus.ACTIVE,
        )
        .order_by(col(ProjectMember.member_id))
    ).all()
    publish(
        session,
        ProjectCompleted(
            actor_id=actor.id, project_id=id_of(project), member_ids=tuple(member_ids)
        ),
    )


def delete_project(session: Session, *, project: Project) -> None:
    """Deletes the project with its memberships, tasks and updates."""
    session.execute(sa.delete(Project).where(col(Project.id) == project.id))


def list_projects(
    session: Session, *, filters: ProjectFilters, params: PageParams
) -> tuple[list[Project], str | None]:
    statement = select(Project)
    if filters.status is not None:
        statement = statement.where(Project.status == filters.status)
    if filters.kind is not None:
        statement = statement.where(Project.kind == filters.kind)
    if filters.looking_for is not None:
        statement = statement.where(
            select(ProjectSkill.project_id)
            .where(
                ProjectSkill.project_id == Project.id,
                ProjectSkill.value_key == filters.looking_for.lower(),
            )
            .exists()
        )
    return paginate(session, statement, keys=[desc(Project.id)], params=params)


# --- membership ----------------------------------------------------------------------------


def _change_counts(session: Session, *, project_id: int, members: int, coordinators: int) -> None:
    """Moves the project's counters; a coordinator is removed only while another remains."""
    values: dict[str, Any] = {}
    statement = sa.update(Project).where(col(Project.id) == project_id)
    if members:
        values["member_count"] = col(Project.member_count) + members
    if coordinators:
        values["coordinator_count"] = col(Project.coordinator_count) + coordinators
    if coordinators < 0:
        statement = statement.where(col(Project.coordinator_count) > -coordinators)
    if not values:
        return
    changed = session.execute(statement.values(values), execution_options=NO_SYNC)
    if rows_affected(changed) == 0:
        raise LastCoordinator(
            N_("Project {project_id} needs a coordinator; make someone else coordinator first."),
            values={"project_id": project_id},
        )


def _is_coordinator(role: str) -> int:
    return 1 if role == ProjectRole.COORDINATOR else 0


def list_memberships(
    session: Session,
    *,
    project: Project,
    viewer: Member,
    filters: ProjectMemberFilters,
    params: PageParams,
) -> tuple[list[ProjectMember], str | None]:
    """Active members for every member; pending requests for managers and the requester."""
    statement = select(ProjectMember).where(ProjectMember.project_id == project.id)
    if not policies.manages(session, project=project, member=viewer):
        statement = statement.where(
            sa.or_(
                col(ProjectMember.status) == MembershipStatus.ACTIVE,
                col(ProjectMember.member_id) == viewer.id,
            )
        )
    if filters.status is not None:
        statement = statement.where(ProjectMember.status == filters.status)
    if filters.role is not None:
        statement = statement.where(ProjectMember.role == filters.role)
    return paginate(session, statement, keys=[asc(ProjectMember.member_id)], params=params)


def get_membership(
    session: Session, *, project: Project, member_id: int, viewer: Member
) -> ProjectMember:
    """A membership the viewer may see: a pending request only by managers and its author."""
    row = policies.membership(session, project_id=id_of(project), member_id=member_id)
    visible = row is not None and (
        row.status == MembershipStatus.ACTIVE
        or member_id == viewer.id
        or policies.manages(session, project=project, member=viewer)
    )
    if row is None or not visible:
        raise ProjectMemberNotFound(
            N_("Member {member_id} is not in project {project}."),
            values={"member_id": member_id, "project": project.id},
        )
    return row


def present_memberships(
    session: Session, memberships: Sequence[ProjectMember]
) -> list[ProjectMemberPublic]:
    """Memberships with the members' names, in one query for any number."""
    ids = {m.member_id for m in memberships}
    people = {
        row.id: row
        for row in session.execute(
            sa.select(Member.id, Member.handle, Member.display_name, Member.avatar_url).where(  # type: ignore[call-overload]
                col(Member.id).in_(ids)
            )
        )
    }
    return [
        ProjectMemberPublic(
            project_id=m.project_id,
            member_id=m.member_id,
            handle=people[m.member_id].handle,
            display_name=people[m.member_id].display_name,
            avatar_url=people[m.member_id].avatar_url,
            role=ProjectRole(m.role),
            status=MembershipStatus(m.status),
            requested_at=m.created_at,
            joined_at=m.joined_at,
        )
        for m in memberships
    ]


def _refuse_existing(session: Session, *, project: Project, member_id: int) -> None:
    """The caller holds the project's lock, so nobody can slip a row in after this check;
    the primary key (project_id, member_id) backs it up in the database."""
    row = policies.membership(session, project_id=id_of(project), member_id=member_id)
    if row is None:
        return
    if row.status == MembershipStatus.PENDING:
        raise JoinRequestPending(
            N_("Member {member_id} already asked to join; a coordinator approves with PATCH."),
            values={"member_id": member_id},
        )
    raise AlreadyProjectMember(
        N_("Member {member_id} is already a member of project {project}."),
        values={"member_id": member_id, "project": project.id},
    )


def create_membership(
    session: Session, *, project: Project, actor: Member, member_id: int | None, role: ProjectRole
) -> ProjectMember:
    """`member_id` absent: the caller asks to join. Present: a manager adds that member."""
    if member_id is None:
        return request_to_join(session, project=project, member=actor)
    policies.require_manager(session, project=project, member=actor)
    return add_member(session, project=project, actor=actor, member_id=member_id, role=role)


def request_to_join(session: Session, *, project: Project, member: Member) -> ProjectMember:
    """A `pending` request; the project's coordinators are notified."""
    if project.status not in _OPEN_STATUSES:
        raise ProjectNotOpen(
            N_("Project {project} is {status}; it takes no new members."),
            values={"project": project.id, "status": project.status},
        )
    _refuse_existing(session, project=project, member_id=id_of(member))
    row = ProjectMember(
        project_id=id_of(project),
        member_id=id_of(member),
        role=ProjectRole.CONTRIBUTOR,
        status=MembershipStatus.PENDING,
    )
    session.add(row)
    session.flush()
    _announce(session, ProjectJoinRequested, row, actor=member)
    return row


def add_member(
    session: Session, *, project: Project, actor: Member, member_id: int, role: ProjectRole
) -> ProjectMember:
    """A manager adds an active member directly (`active`); the member is notified."""
    target = session.get(Member, member_id)
    if target is None or not target.is_active:
        raise does_not_exist(MemberNotFound, N_("Member"), member_id)
    _refuse_existing(session, project=project, member_id=member_id)
    _change_counts(
        session, project_id=id_of(project), members=1, coordinators=_is_coordinator(role)
    )
    now = utcnow()
    row = ProjectMember(
        project_id=id_of(project),
        member_id=member_id,
        role=role,
        status=MembershipStatus.ACTIVE,
        created_at=now,
        joined_at=now,
    )
    session.add(row)
    session.flush()
    _announce(session, ProjectMemberAdded, row, actor=actor)
    return row


def change_membership(
    session: Session,
    *,
    project: Project,
    row: ProjectMember,
    changes: ProjectMemberUpdate,
    actor: Member,
) -> ProjectMember:
    """Approves a request (`status: active`, the requester is notified) and/or changes the
    role. Demoting the last active coordinator is refused (409)."""
    role = changes.role or ProjectRole(row.role)
    approving = changes.status == MembershipStatus.ACTIVE and row.status == MembershipStatus.PENDING
    if approving:
        coordinators = _is_coordinator(role)
        _change_counts(session, project_id=id_of(project), members=1, coordinators=coordinators)
        row.status, row.joined_at = MembershipStatus.ACTIVE, utcnow()
    elif row.status == MembershipStatus.ACTIVE:
        coordinators = _is_coordinator(role) - _is_coordinator(row.role)
        _change_counts(session, project_id=id_of(project), members=0, coordinators=coordinators)
    row.role = role
    session.add(row)
    session.flush()
    if approving:
        _announce(session, ProjectJoinApproved, row, actor=actor)
    return row


def membership_for_removal(
    session: Session, *, project: Project, member_id: int, actor: Member
) -> ProjectMember:
    """Anyone may leave (or withdraw their request); only managers remove or decline others."""
    if member_id != actor.id:
        policies.require_manager(session, project=project, member=actor)
    row = policies.membership(session, project_id=id_of(project), member_id=member_id)
    if row is None:
        raise ProjectMemberNotFound(
            N_("Member {member_id} is not in project {project}."),
            values={"member_id": member_id, "project": project.id},
        )
    return row


def remove_membership(
    session: Session, *, project: Project, row: ProjectMember, actor: Member
) -> None:
    """Leaving, withdrawing a request, declining one or removing a member.

    The member's tasks in the project are unassigned in the same transaction. The row is
    deleted before the tasks are touched: a task write holding a share lock on it makes
    this wait, and the UPDATE that follows then sees (and unassigns) what it wrote.
    """
    was_active = row.status == MembershipStatus.ACTIVE
    if was_active:
        coordinators = -_is_coordinator(row.role)
        _change_counts(session, project_id=id_of(project), members=-1, coordinators=coordinators)
    session.delete(row)
    session.flush()
    if was_active:
        session.execute(
            sa.update(ProjectTask)
            .where(
                col(ProjectTask.project_id) == project.id,
                col(ProjectTask.assignee_id) == row.member_id,
            )
            .values(assignee_id=None, updated_at=utcnow()),
            execution_options=NO_SYNC,
        )
    if row.member_id != actor.id:
        kind = ProjectMemberRemoved if was_active else ProjectJoinDeclined
        _announce(session, kind, row, actor=actor)


def _announce(
    session: Session,
    kind: type[ProjectMembershipChanged],
    row: ProjectMember,
    *,
    actor: Member,
) -> None:
    publish(
        session,
        kind(actor_id=actor.id, project_id=row.project_id, member_id=row.member_id, role=row.role),
    )


# --- tasks ---------------------------------------------------------------------------------


def list_tasks(
    session: Session, *, project: Project, filters: ProjectTaskFilters, params: PageParams
) -> tuple[list[ProjectTask], str | None]:
    statement = select(ProjectTask).where(ProjectTask.project_id == project.id)
    if filters.status is not None:
        statement = statement.where(ProjectTask.status == filters.status)
    if filters.assignee_id is not None:
        statement = statement.where(ProjectTask.assignee_id == filters.assignee_id)
    return paginate(session, statement, keys=[asc(ProjectTask.id)], params=params)


def get_task(session: Session, *, project: Project, task_id: int) -> ProjectTask:
    task = session.get(ProjectTask, task_id)
    if task is None or task.project_id != project.id:
        raise TaskNotFound(
            N_("Task {task_id} does not exist in project {project}."),
            values={"task_id": task_id, "project": project.id},
        )
    return task


def _check_assignee(session: Session, *, project: Project, assignee_id: int | None) -> None:
    if assignee_id is None:
        return
    if not policies.is_active_member(session, project_id=id_of(project), member_id=assignee_id):
        raise AssigneeNotProjectMember(assignee_id)


def create_task(
    session: Session, *, project: Project, actor: Member, data: ProjectTaskCreate
) -> ProjectTask:
    policies.require_active_member(session, project_id=id_of(project), member_id=id_of(actor))
    _check_assignee(session, project=project, assignee_id=data.assignee_id)
    now = utcnow()
    task = ProjectTask(
        **data.model_dump(),
        project_id=id_of(project),
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(task)
    session.flush()
    if task.status == TaskStatus.DONE:
        _complete_task_once(session, task, actor=actor, now=now)
    return task


def lock_task_for_edit(
    session: Session,
    *,
    project: Project,
    task_id: int,
    actor: Member,
    assignee_id: int | None = None,
) -> ProjectTask:
    """The task, locked, after the memberships the edit relies on (see the module doc)."""
    policies.require_active_member(session, project_id=id_of(project), member_id=id_of(actor))
    _check_assignee(session, project=project, assignee_id=assignee_id)
    statement = (
        select(ProjectTask)
        .where(ProjectTask.id == task_id, ProjectTask.project_id == project.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    task = session.exec(statement).first()
    if task is None:
        raise TaskNotFound(
            N_("Task {task_id} does not exist in project {project}."),
            values={"task_id": task_id, "project": project.id},
        )
    return task


def update_task(
    session: Session, *, task: ProjectTask, changes: ProjectTaskUpdate, actor: Member
) -> ProjectTask:
    now = utcnow()
    for field, value in changes.model_dump(exclude_unset=True).items():
        setattr(task, field, value)
    if changes.model_fields_set:
        task.updated_at = now
    session.add(task)
    session.flush()
    if task.status == TaskStatus.DONE:
        _complete_task_once(session, task, actor=actor, now=now)
        session.refresh(task)
    return task


def _complete_task_once(
    session: Session, task: ProjectTask, *, actor: Member, now: datetime
) -> None:
    marked = session.execute(
        sa.update(ProjectTask)
        .where(col(ProjectTask.id) == task.id, col(ProjectTask.completed_at).is_(None))
        .values(completed_at=now),
        execution_options=NO_SYNC,
    )
    if rows_affected(marked) == 0:
        return  # done before: reopening and finishing again is not a new contribution
    publish(
        session,
        TaskCompleted(
            actor_id=actor.id,
            project_id=task.project_id,
            task_id=id_of(task),
            # Who the contribution is for: the assignee, else whoever finished it.
            member_id=task.assignee_id or id_of(actor),
        ),
    )


def delete_task(session: Session, *, project: Project, task: ProjectTask, actor: Member) -> None:
    """Its author or a manager of the project deletes a task."""
    if task.created_by_id != actor.id and not policies.manages(
        session, project=project, member=actor
    ):
        raise NotTaskOwner(N_("Only the task's author or a project coordinator may delete it."))
    session.delete(task)
    session.flush()


# --- progress updates ----------------------------------------------------------------------


def post_update(
    session: Session, *, project: Project, author: Member, data: ProgressUpdateCreate
) -> ProgressUpdate:
    policies.require_active_member(session, project_id=id_of(project), member_id=id_of(author))
    update = ProgressUpdate(
        project_id=id_of(project), author_id=author.id, title=data.title, body=data.body
    )
    session.add(update)
    session.flush()
    publish(
        session,
        ProjectUpdatePosted(actor_id=author.id, project_id=id_of(project), update_id=id_of(update)),
    )
    return update


def list_updates(
    session: Session, *, project: Project, params: PageParams
) -> tuple[list[ProgressUpdate], str | None]:
    statement = select(ProgressUpdate).where(ProgressUpdate.project_id == project.id)
    return paginate(session, statement, keys=[desc(ProgressUpdate.id)], params=params)


def get_update(session: Session, *, project: Project, update_id: int) -> ProgressUpdate:
    update = session.get(ProgressUpdate, update_id)
    if update is None or update.project_id != project.id:
        raise ProgressUpdateNotFound(
            N_("Update {update_id} does not exist in project {project}."),
            values={"update_id": update_id, "project": project.id},
        )
    return update


def present_task(task: ProjectTask) -> ProjectTaskPublic:
    return ProjectTaskPublic.model_validate(task, from_attributes=True)


def present_update(update: ProgressUpdate) -> ProgressUpdatePublic:
    return ProgressUpdatePublic.model_validate(update, from_attributes=True)
