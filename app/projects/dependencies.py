"""Load-or-404 for the project in the path, with the lock each kind of request needs.

Locks are always taken project first, then memberships, then tasks, so requests on one
project cannot deadlock:
- membership changes lock the project row `FOR NO KEY UPDATE`: they are decided one at a
  time per project (last-coordinator rule, duplicate requests), while inserts that only
  reference the project (tasks, updates) are not blocked by it;
- task and update writes take `FOR KEY SHARE`: the project cannot be deleted under them.
SQLite ignores these clauses; it serialises every writer anyway.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.db import SessionDep
from app.core.openapi import declares
from app.core.types import IdPath
from app.models import Project
from app.principal.dependencies import CurrentMember
from app.projects import policies, service


@declares(404)
def project_for_reading(session: SessionDep, _member: CurrentMember, project_id: IdPath) -> Project:
    return service.get_project(session, project_id=project_id)


@declares(404)
def project_for_membership_change(
    session: SessionDep, _member: CurrentMember, project_id: IdPath
) -> Project:
    return service.lock_project(session, project_id=project_id, exclusive=True)


@declares(404)
def project_for_content(session: SessionDep, _member: CurrentMember, project_id: IdPath) -> Project:
    return service.lock_project(session, project_id=project_id, exclusive=False)


@declares(403)
def managed_project(
    session: SessionDep,
    member: CurrentMember,
    project: Annotated[Project, Depends(project_for_membership_change)],
) -> Project:
    """The project, locked, for its coordinators or an organizer."""
    policies.require_manager(session, project=project, member=member)
    return project


ProjectDep = Annotated[Project, Depends(project_for_reading)]
LockedProjectDep = Annotated[Project, Depends(project_for_membership_change)]
SharedProjectDep = Annotated[Project, Depends(project_for_content)]
ManagedProjectDep = Annotated[Project, Depends(managed_project)]
