from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.i18n import N_


class ProjectNotFound(NotFound):
    code = "project_not_found"


class ProjectMemberNotFound(NotFound):
    code = "project_member_not_found"


class TaskNotFound(NotFound):
    code = "task_not_found"


class ProgressUpdateNotFound(NotFound):
    code = "project_update_not_found"


class NotProjectMember(Forbidden):
    code = "not_project_member"


class NotProjectCoordinator(Forbidden):
    code = "not_project_coordinator"


class NotTaskOwner(Forbidden):
    code = "not_task_owner"


class LastCoordinator(Conflict):
    code = "last_coordinator"


class AlreadyProjectMember(Conflict):
    code = "already_project_member"


class JoinRequestPending(Conflict):
    code = "join_request_pending"


class ProjectNotOpen(Conflict):
    code = "project_not_open"


class AssigneeNotProjectMember(Unprocessable):
    code = "assignee_not_project_member"

    def __init__(self, member_id: int) -> None:
        super().__init__(
            N_(
                "Member {member_id} is not an active member of this project; tasks are "
                "assigned to project members only."
            ),
            values={"member_id": member_id},
            loc=["body", "assignee_id"],
        )
