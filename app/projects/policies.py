"""Who may do what in a project. Roles are per project: coordinating one project gives no
power over another. Organizers and admins manage every project (moderation)."""

from __future__ import annotations

from sqlmodel import Session, select

from app.i18n import N_
from app.models import (
    Member,
    MembershipStatus,
    Project,
    ProjectMember,
    ProjectRole,
    is_organizer,
)
from app.projects.exceptions import NotProjectCoordinator, NotProjectMember


def membership(
    session: Session, *, project_id: int, member_id: int, lock: bool = False
) -> ProjectMember | None:
    """The member's row in the project; with `lock`, share-locked until the transaction
    ends, so the membership cannot be removed under a write that relies on it."""
    statement = select(ProjectMember).where(
        ProjectMember.project_id == project_id, ProjectMember.member_id == member_id
    )
    if lock:
        statement = statement.with_for_update(read=True)
    return session.exec(statement.execution_options(populate_existing=True)).first()


def _is_active(row: ProjectMember | None, *, role: ProjectRole | None = None) -> bool:
    return (
        row is not None
        and row.status == MembershipStatus.ACTIVE
        and (role is None or row.role == role)
    )


def manages(session: Session, *, project: Project, member: Member) -> bool:
    if is_organizer(member):
        return True
    row = membership(session, project_id=project.id, member_id=member.id)  # type: ignore[arg-type]
    return _is_active(row, role=ProjectRole.COORDINATOR)


def require_manager(session: Session, *, project: Project, member: Member) -> None:
    if not manages(session, project=project, member=member):
        raise NotProjectCoordinator(
            N_("Only the coordinators of project {project} (or organizers) may do this."),
            values={"project": project.id},
        )


def require_active_member(session: Session, *, project_id: int, member_id: int) -> ProjectMember:
    """The caller's active membership, share-locked; 403 for anyone else."""
    row = membership(session, project_id=project_id, member_id=member_id, lock=True)
    if row is None or not _is_active(row):
        raise NotProjectMember(
            N_("Only active members of project {project_id} may do this."),
            values={"project_id": project_id},
        )
    return row


def is_active_member(session: Session, *, project_id: int, member_id: int) -> bool:
    """Whether the member is active in the project, share-locking their membership."""
    return _is_active(membership(session, project_id=project_id, member_id=member_id, lock=True))
