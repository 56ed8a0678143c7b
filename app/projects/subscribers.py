"""What members hear about projects: join requests and their answers, being added or removed."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.core.domain_events import (
    ProjectJoinApproved,
    ProjectJoinDeclined,
    ProjectJoinRequested,
    ProjectMemberAdded,
    ProjectMemberRemoved,
    ProjectMembershipChanged,
    subscribe,
)
from app.i18n import N_
from app.models import Member, MembershipStatus, Project, ProjectMember, ProjectRole
from app.notifications.service import notify


def _project(session: Session, event: ProjectMembershipChanged) -> Project:
    project = session.get(Project, event.project_id)
    assert project is not None
    return project


@subscribe(ProjectJoinRequested)
def tell_coordinators_of_request(session: Session, event: ProjectJoinRequested) -> None:
    project = _project(session, event)
    requester = session.get(Member, event.member_id)
    assert requester is not None
    coordinator_ids = session.exec(
        select(ProjectMember.member_id).where(
            ProjectMember.project_id == project.id,
            ProjectMember.role == ProjectRole.COORDINATOR,
            ProjectMember.status == MembershipStatus.ACTIVE,
            col(ProjectMember.member_id) != requester.id,
        )
    ).all()
    # A project has a handful of coordinators: one row each, inserted in one flush.
    for coordinator_id in coordinator_ids:
        notify(
            session,
            member_id=coordinator_id,
            type="project.join_requested",
            title=N_("{member} asks to join {project}"),
            body=N_("Approve or decline the request in the project's members."),
            values={
                "member": f"{requester.display_name} (@{requester.handle})",
                "project": project.title,
            },
            project_id=project.id,
            requester_id=requester.id,
        )


# Each answer's notification: type, title and body.
_TO_MEMBER: dict[type[ProjectMembershipChanged], tuple[str, str, str]] = {
    ProjectJoinApproved: (
        "project.join_approved",
        N_("You're in: {title}"),
        N_("Your request to join was approved."),
    ),
    ProjectJoinDeclined: (
        "project.join_declined",
        N_("Not this time: {title}"),
        N_("Your request to join was declined."),
    ),
    ProjectMemberAdded: (
        "project.member_added",
        N_("You were added to {title}"),
        N_("A coordinator added you as {role}."),
    ),
    ProjectMemberRemoved: (
        "project.member_removed",
        N_("Removed from {title}"),
        N_("A coordinator removed you from the project."),
    ),
}


@subscribe(*_TO_MEMBER)
def tell_member_of_answer(session: Session, event: ProjectMembershipChanged) -> None:
    project = _project(session, event)
    kind, title, body = _TO_MEMBER[type(event)]
    notify(
        session,
        member_id=event.member_id,
        type=kind,
        title=title,
        body=body,
        values={"title": project.title, "role": event.role},
        project_id=project.id,
    )
