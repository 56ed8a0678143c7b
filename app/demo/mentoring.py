"""The demo community's mentors and mentorships: every trusted mentor and a few seniors open
a profile on what they know; newcomers ask, and mentors accept, decline and complete.

Everything goes through the service functions, so capacity and the one-open-request rule
hold in the demo as in the API.
"""

from __future__ import annotations

import random

from rich.progress import Progress
from sqlmodel import Session

from app.demo import roster
from app.members import service as members
from app.members.schemas import MemberUpdate
from app.mentoring import service
from app.mentoring.exceptions import MentorAtCapacity
from app.mentoring.schemas import MentoringProfileUpdate, MentorshipCreate
from app.models import Member, MentorshipStatus, Role, TagKind

GOALS = [
    "Put together a portfolio I can send to studios.",
    "Finish my first zine, from idea to print.",
    "Get feedback on my street photography and find my style.",
    "Learn to price commissions and write a simple contract.",
    "Write a short story a month for the next three months.",
    "Move from Canva to Figma and design my first app screens.",
]
# How a request ends up: most are accepted, some finished, a few declined or waiting.
OUTCOMES = [
    (MentorshipStatus.ACCEPTED, 4),
    (MentorshipStatus.COMPLETED, 3),
    (MentorshipStatus.DECLINED, 1),
    (MentorshipStatus.PENDING, 2),
]


def _open_profiles(session: Session, rng: random.Random, crowd: list[Member]) -> list[Member]:
    trusted = [m for m in crowd if m.role == Role.MENTOR]
    seniors = rng.sample([m for m in crowd if m.role != Role.MENTOR], k=min(3, len(crowd)))
    tags = members.load_tags(session, [m.id for m in trusted + seniors])  # type: ignore[misc]
    for mentor in trusted + seniors:
        own = tags[mentor.id]  # type: ignore[index]
        topics = [*own[TagKind.DISCIPLINE], *own[TagKind.SKILL]] or ["portfolio review"]
        profile = MentoringProfileUpdate(
            open=rng.random() < 0.85, topics=topics[:6], capacity=rng.randint(2, 4)
        )
        members.update_profile(session, member=mentor, changes=MemberUpdate(mentoring=profile))
    return trusted + seniors


def _play_out(session: Session, rng: random.Random, mentor: Member, mentee: Member) -> None:
    outcome = rng.choices([o for o, _ in OUTCOMES], weights=[w for _, w in OUTCOMES])[0]
    data = MentorshipCreate(mentor_id=mentor.id, goal=rng.choice(GOALS))  # type: ignore[arg-type]
    mentorship = service.request_mentorship(session, mentee=mentee, data=data)
    if outcome == MentorshipStatus.PENDING:
        return
    if outcome == MentorshipStatus.DECLINED:
        service.answer(session, mentorship=mentorship, status=outcome)
        return
    try:
        service.answer(session, mentorship=mentorship, status=MentorshipStatus.ACCEPTED)
    except MentorAtCapacity:
        return  # a full mentor leaves the request waiting, as in real life
    if outcome == MentorshipStatus.COMPLETED:
        service.answer(session, mentorship=mentorship, status=outcome)


def seed_mentoring(session: Session, rng: random.Random, *, progress: Progress) -> int:
    """Opens mentor profiles and plays out mentorships; returns how many were requested."""
    crowd = roster.crowd(session)
    mentors = _open_profiles(session, rng, crowd)
    open_mentors = [m for m in mentors if service.is_open(session, mentor_id=m.id)]  # type: ignore[arg-type]
    mentees = [m for m in crowd if m not in mentors]
    task = progress.add_task("Mentorships", total=len(mentees))
    requested = 0
    for mentee in mentees:
        # About half the newcomers look for a mentor, each asking one or two.
        if open_mentors and rng.random() < 0.5:
            for mentor in rng.sample(open_mentors, k=min(len(open_mentors), rng.randint(1, 2))):
                _play_out(session, rng, mentor, mentee)
                requested += 1
        progress.advance(task)
    return requested
