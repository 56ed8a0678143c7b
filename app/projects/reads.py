"""Projects as the API shows them: the read model of `GET /projects/{id}`, and the one
presenter of a project every answer uses.

Statements built once, in Core, on a connection (app.readmodels), rows straight into
`ProjectPublic`: the project, then its skills, and its coordinators with the viewer's own
membership (one statement each), and its cover only when it has one. A write presents
what it changed with the same statements, on its Session, and a list its page at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from app.i18n import N_
from app.media.presenters import media_by_id
from app.models import (
    Member,
    MembershipStatus,
    Project,
    ProjectKind,
    ProjectMember,
    ProjectRole,
    ProjectSkill,
    ProjectStatus,
)
from app.problems.details import does_not_exist
from app.projects.exceptions import ProjectNotFound
from app.projects.schemas import MyMembership, ProjectPublic
from app.readmodels import ReadStatement

_PROJECTS = cast(sa.Table, Project.__table__)  # type: ignore[attr-defined]
_SKILLS = cast(sa.Table, ProjectSkill.__table__)  # type: ignore[attr-defined]
_MEMBERSHIPS = cast(sa.Table, ProjectMember.__table__)  # type: ignore[attr-defined]

_ONE = ReadStatement(sa.select(_PROJECTS).where(_PROJECTS.c.id == sa.bindparam("project_id")))
_PROJECT_IDS: sa.BindParameter[int] = sa.bindparam("project_ids", expanding=True)
_SKILLS_OF = ReadStatement(
    sa.select(_SKILLS.c.project_id, _SKILLS.c.value)
    .where(_SKILLS.c.project_id.in_(_PROJECT_IDS))
    .order_by(_SKILLS.c.project_id, _SKILLS.c.position)
)
# The active coordinators, and the viewer's own membership or request whatever it is.
_COORDINATORS_AND_VIEWER = ReadStatement(
    sa.select(
        _MEMBERSHIPS.c.project_id,
        _MEMBERSHIPS.c.member_id,
        _MEMBERSHIPS.c.role,
        _MEMBERSHIPS.c.status,
    )
    .where(
        _MEMBERSHIPS.c.project_id.in_(_PROJECT_IDS),
        sa.or_(
            sa.and_(
                _MEMBERSHIPS.c.role == ProjectRole.COORDINATOR.value,
                _MEMBERSHIPS.c.status == MembershipStatus.ACTIVE.value,
            ),
            _MEMBERSHIPS.c.member_id == sa.bindparam("viewer_id"),
        ),
    )
    .order_by(_MEMBERSHIPS.c.project_id, _MEMBERSHIPS.c.member_id)
)


class Shown(Protocol):
    """What a project shows of its row: an entity, or a row of `_ONE`."""

    @property
    def id(self) -> int | None: ...
    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def member_count(self) -> int: ...
    @property
    def cover_media_id(self) -> int | None: ...
    @property
    def created_by_id(self) -> int | None: ...
    @property
    def created_at(self) -> Any: ...
    @property
    def updated_at(self) -> Any: ...
    @property
    def completed_at(self) -> Any: ...


def present(
    connection: Connection | Session, projects: Sequence[Shown], *, viewer: Member
) -> list[ProjectPublic]:
    """Projects with skills, coordinators, the viewer's membership and covers, in three
    statements (the covers only when some project has one)."""
    ids = [cast(int, p.id) for p in projects]
    covers = media_by_id(connection, (p.cover_media_id for p in projects if p.cover_media_id))
    skills: dict[int, list[str]] = defaultdict(list)
    coordinators: dict[int, list[int]] = defaultdict(list)
    mine: dict[int, MyMembership] = {}
    for project_id, value in _SKILLS_OF.rows(connection, {"project_ids": ids}):
        skills[project_id].append(value)
    values = {"project_ids": ids, "viewer_id": viewer.id}
    for row in _COORDINATORS_AND_VIEWER.rows(connection, values):
        if row.member_id == viewer.id:
            mine[row.project_id] = MyMembership(role=row.role, status=row.status)
        if row.role == ProjectRole.COORDINATOR and row.status == MembershipStatus.ACTIVE:
            coordinators[row.project_id].append(row.member_id)
    return [
        ProjectPublic(
            id=project_id,
            title=p.title,
            summary=p.summary,
            kind=ProjectKind(p.kind),
            status=ProjectStatus(p.status),
            looking_for=skills[project_id],
            member_count=p.member_count,
            coordinator_ids=coordinators[project_id],
            my_membership=mine.get(project_id),
            cover=covers.get(p.cover_media_id) if p.cover_media_id else None,
            created_by_id=p.created_by_id,
            created_at=p.created_at,
            updated_at=p.updated_at,
            completed_at=p.completed_at,
        )
        for p, project_id in zip(projects, ids, strict=True)
    ]


def project(connection: Connection, *, project_id: int, viewer: Member) -> ProjectPublic:
    """`GET /projects/{id}`, or 404: every member sees every project."""
    row = _ONE.first(connection, {"project_id": project_id})
    if row is None:
        raise does_not_exist(ProjectNotFound, N_("Project"), project_id)
    return present(connection, [row], viewer=viewer)[0]
