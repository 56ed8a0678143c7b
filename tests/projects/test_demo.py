"""`sanggar seed-demo` grows projects and mentorships that obey the same rules as the API."""

from __future__ import annotations

from collections import Counter

from fastapi import FastAPI
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.demo.community import seed_community
from app.models import (
    MembershipStatus,
    MentorProfile,
    Mentorship,
    MentorshipStatus,
    ProgressUpdate,
    Project,
    ProjectMember,
    ProjectRole,
    ProjectStatus,
    ProjectTask,
)


def test_demo_projects_and_mentoring_are_consistent(
    app: FastAPI, engine: Engine, session: Session
) -> None:
    seed_community(
        engine, app.state.settings, members_count=30, seed=3, console=Console(quiet=True)
    )
    projects = list(session.exec(select(Project)))
    assert {ProjectStatus(p.status) for p in projects} >= {
        ProjectStatus.ACTIVE,
        ProjectStatus.PROPOSED,
        ProjectStatus.COMPLETED,
    }
    rows = list(session.exec(select(ProjectMember)))
    active = Counter(r.project_id for r in rows if r.status == MembershipStatus.ACTIVE)
    coordinators = Counter(
        r.project_id
        for r in rows
        if r.status == MembershipStatus.ACTIVE and r.role == ProjectRole.COORDINATOR
    )
    for project in projects:
        assert project.id is not None
        assert project.member_count == active[project.id]
        assert project.coordinator_count == coordinators[project.id] >= 1
    assert any(r.status == MembershipStatus.PENDING for r in rows)
    members_of = {(r.project_id, r.member_id) for r in rows if r.status == MembershipStatus.ACTIVE}
    tasks = list(session.exec(select(ProjectTask)))
    assert tasks and all((t.project_id, t.assignee_id) in members_of for t in tasks)
    assert any(t.completed_at is not None for t in tasks)
    assert session.exec(select(ProgressUpdate)).first() is not None

    mentorships = list(session.exec(select(Mentorship)))
    assert {MentorshipStatus(m.status) for m in mentorships} >= {
        MentorshipStatus.ACCEPTED,
        MentorshipStatus.COMPLETED,
    }
    accepted = Counter(m.mentor_id for m in mentorships if m.status == MentorshipStatus.ACCEPTED)
    for profile in session.exec(select(MentorProfile)):
        assert profile.active_count == accepted[profile.member_id] <= profile.capacity
    assert session.exec(select(MentorProfile).where(col(MentorProfile.is_open))).first()
