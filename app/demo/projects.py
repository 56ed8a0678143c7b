"""The demo community's projects: a community e-book, a virtual exhibition, free design
classes and a finished zine, with members, join requests, a task board and progress updates.

Everything goes through the service functions, so the demo obeys the same rules as the API
(coordinators, assignees who are members, completion announced once).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from rich.progress import Progress
from sqlmodel import Session

from app.core.clock import utcnow
from app.demo import roster
from app.models import Member, ProjectKind, ProjectRole, ProjectStatus, TaskStatus
from app.projects import service
from app.projects.schemas import (
    ProgressUpdateCreate,
    ProjectCreate,
    ProjectTaskCreate,
    ProjectTaskUpdate,
    ProjectUpdate,
)


@dataclass(frozen=True)
class Plan:
    title: str
    kind: ProjectKind
    summary: str
    looking_for: list[str]
    status: ProjectStatus = ProjectStatus.ACTIVE
    members: int = 4
    requests: int = 1
    tasks: list[tuple[str, TaskStatus]] = field(default_factory=list)
    updates: list[tuple[str | None, str]] = field(default_factory=list)


PLANS = [
    Plan(
        "Kumpulan Cerita Kota: a community e-book",
        ProjectKind.EBOOK,
        "Twelve short stories about our cities, each illustrated by another member.",
        ["editing", "illustration", "layout"],
        members=6,
        requests=2,
        tasks=[
            ("Collect the twelve stories", TaskStatus.DONE),
            ("Line-edit stories 1–6", TaskStatus.DOING),
            ("Line-edit stories 7–12", TaskStatus.TODO),
            ("Pair each story with an illustrator", TaskStatus.DONE),
            ("Cover design", TaskStatus.TODO),
            ("EPUB layout", TaskStatus.TODO),
        ],
        updates=[
            ("Call for stories closed", "Twelve stories are in, from six cities."),
            (None, "Illustrators are paired; first sketches due in two weeks."),
        ],
    ),
    Plan(
        "Pameran Virtual: the quarterly exhibition",
        ProjectKind.EXHIBITION,
        "Curating the season's best challenge works into an online gallery with artist talks.",
        ["curation", "web design", "video"],
        tasks=[
            ("Shortlist works from the challenges", TaskStatus.DOING),
            ("Ask the artists for consent", TaskStatus.TODO),
            ("Record the artist talks", TaskStatus.TODO),
        ],
        updates=[("Shortlist under way", "Forty works on the long list so far.")],
    ),
    Plan(
        "Kelas Desain Gratis: free design classes for students",
        ProjectKind.SOCIAL,
        "Six Saturday classes on design basics for vocational-school students.",
        ["teaching", "figma", "typography"],
        status=ProjectStatus.PROPOSED,
        members=2,
        requests=3,
        tasks=[
            ("Find a school partner", TaskStatus.TODO),
            ("Draft the syllabus", TaskStatus.DOING),
        ],
    ),
    Plan(
        "Zine Pasar: the traditional markets zine",
        ProjectKind.PUBLICATION,
        "Photos and short texts from traditional markets, printed on the riso.",
        ["photography", "risograph"],
        status=ProjectStatus.COMPLETED,
        requests=0,
        tasks=[
            ("Photo walks in four markets", TaskStatus.DONE),
            ("Write the captions", TaskStatus.DONE),
            ("Print 200 copies", TaskStatus.DONE),
        ],
        updates=[
            ("Printed!", "200 copies, two colours. Pick yours up at the year-end social."),
        ],
    ),
]


def _seed_project(session: Session, rng: random.Random, plan: Plan, crowd: list[Member]) -> None:
    people = rng.sample(crowd, k=min(len(crowd), 1 + plan.members + plan.requests))
    creator, members, requesters = people[0], people[1 : plan.members], people[plan.members :]
    data = ProjectCreate(
        title=plan.title,
        summary=plan.summary,
        kind=plan.kind,
        looking_for=plan.looking_for,
    )
    project = service.create_project(session, creator=creator, data=data)
    if plan.status not in (ProjectStatus.PROPOSED, ProjectStatus.COMPLETED):
        moved = ProjectUpdate(status=plan.status)
        service.update_project(session, project=project, changes=moved, actor=creator)
    for index, member in enumerate(members):
        assert member.id is not None
        role = ProjectRole.COORDINATOR if index == 0 else ProjectRole.CONTRIBUTOR
        service.add_member(session, project=project, actor=creator, member_id=member.id, role=role)
    team = [creator, *members]
    for task_title, status in plan.tasks:
        assignee = rng.choice(team)
        task = ProjectTaskCreate(
            title=task_title,
            assignee_id=assignee.id,
            due_on=(utcnow() + timedelta(days=rng.randint(7, 60))).date(),
        )
        created = service.create_task(session, project=project, actor=creator, data=task)
        if status != TaskStatus.TODO:
            service.update_task(session, task=created, changes=_status(status), actor=assignee)
    for title, body in plan.updates:
        update = ProgressUpdateCreate(title=title, body=body)
        service.post_update(session, project=project, author=rng.choice(team), data=update)
    for requester in requesters:
        service.request_to_join(session, project=project, member=requester)
    if plan.status == ProjectStatus.COMPLETED:
        done = ProjectUpdate(status=ProjectStatus.COMPLETED)
        service.update_project(session, project=project, changes=done, actor=creator)


def _status(status: TaskStatus) -> ProjectTaskUpdate:
    return ProjectTaskUpdate(status=status)


def seed_projects(session: Session, rng: random.Random, *, progress: Progress) -> int:
    """Creates the demo projects; returns how many."""
    crowd = roster.crowd(session)
    task = progress.add_task("Projects", total=len(PLANS))
    for plan in PLANS:
        _seed_project(session, rng, plan, crowd)
        progress.advance(task)
    return len(PLANS)
