"""What members hear about projects: join requests and their answers, being added or removed."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.core.events import DomainEvent, subscribe
from app.models import Member, MembershipStatus, Project, ProjectMember, ProjectRole
from app.notifications.service import notify


def _project(session: Session, event: DomainEvent) -> Project:
    project = session.get(Project, event.data["project_id"])
    assert project is not None
    return project


@subscribe("project.join_requested")
def tell_coordinators_of_request(session: Session, event: DomainEvent) -> None:
    project = _project(session, event)
    requester = session.get(Member, event.data["member_id"])
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
            title=f"{requester.display_name} (@{requester.handle}) asks to join {project.title}"[
                :200
            ],
            body="Approve or decline the request in the project's members.",
            project_id=project.id,
            requester_id=requester.id,
        )


_TO_MEMBER = {
    "project.join_approved": ("You're in: {title}", "Your request to join was approved."),
    "project.join_declined": ("Not this time: {title}", "Your request to join was declined."),
    "project.member_added": ("You were added to {title}", "A coordinator added you as {role}."),
    "project.member_removed": (
        "Removed from {title}",
        "A coordinator removed you from the project.",
    ),
}


@subscribe(*_TO_MEMBER)
def tell_member_of_answer(session: Session, event: DomainEvent) -> None:
    project = _project(session, event)
    title, body = _TO_MEMBER[event.type]
    notify(
        session,
        member_id=event.data["member_id"],
        type=event.type,
        title=title.format(title=project.title)[:200],
        body=body.format(role=event.data["role"]),
        project_id=project.id,
    )
