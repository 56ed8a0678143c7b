"""The demo community's challenges: one in every phase, with works, votes and results.

Everything goes through the service functions, so the demo obeys the API's rules. Works of
the picture disciplines (photography, illustration, design) get a picture drawn for them
(app.demo.pictures), uploaded as their author's and attached through `media_ids`. A
challenge is created open, gets its works, and then has its dates moved on (as an organizer
may) to reach voting and closing; votes are cast while it is voting. A final phase sweep
announces the crossings and ranks the closed challenges, filling the showcase.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from rich.progress import Progress
from sqlmodel import Session

from app.challenges import service
from app.challenges.schemas import ChallengeCreate, ChallengeUpdate
from app.challenges.sweep import sweep
from app.core.clock import utcnow
from app.demo import roster
from app.demo.pictures import PICTURED, DemoMedia
from app.models import Discipline, License, Member
from app.recurrence import Frequency, Repeat
from app.submissions import service as submissions
from app.submissions.schemas import Moderation, ModerationAction, SubmissionCreate
from app.votes import service as votes


@dataclass(frozen=True)
class Plan:
    title: str
    theme: str
    discipline: Discipline
    phase: str  # draft, upcoming, open, voting or closed
    entries: int = 0
    voters: int = 0
    repeat: Repeat | None = None


PLANS = [
    Plan("Weekly photo #45", "Morning light", Discipline.PHOTOGRAPHY, "closed", 10, 30),
    Plan("Flash fiction: rain", "300 words about rain", Discipline.WRITING, "closed", 8, 24),
    Plan("Poster for a neighbourhood café", "Kopi & kawan", Discipline.DESIGN, "voting", 7, 15),
    Plan("Weekly photo #48", "Shadows", Discipline.PHOTOGRAPHY, "open", 5),
    Plan("Weekly photo #49", "Reflections", Discipline.PHOTOGRAPHY, "upcoming"),
    Plan(
        "Monthly illustration",
        "Folk tales retold",
        Discipline.ILLUSTRATION,
        "upcoming",
        repeat=Repeat(frequency=Frequency.MONTHLY, count=3),
    ),
    Plan("One minute of your street", "Everyday sounds", Discipline.VIDEO, "draft"),
]
PARAGRAPH = (
    "The rain arrived before the call to prayer, drumming on the zinc roofs of the kampung "
    "while my grandmother counted the buckets we would need. "
)
# Days from now of (opens, closes, voting closes) once a challenge reaches each phase.
DATES = {
    "upcoming": (3, 10, 13),
    "open": (-2, 5, 7),
    "voting": (-7, -1, 2),
    "closed": (-12, -6, -4),
}


def _dates(phase: str) -> dict[str, object]:
    now = utcnow()
    opens, closes, voting_closes = (now + timedelta(days=d) for d in DATES[phase])
    return {
        "submissions_open_at": opens,
        "submissions_close_at": closes,
        "voting_close_at": voting_closes,
    }


def seed_challenges(
    session: Session, rng: random.Random, *, pictures: DemoMedia, progress: Progress
) -> None:
    organizer = roster.organizer(session)
    people = roster.crowd(session)
    task = progress.add_task("Challenges", total=len(PLANS) + 1)
    for plan in PLANS:
        _seed_challenge(session, rng, plan, organizer=organizer, people=people, pictures=pictures)
        progress.advance(task)
    sweep(session)  # announce the crossings and rank the closed challenges
    progress.advance(task)


def _seed_challenge(
    session: Session,
    rng: random.Random,
    plan: Plan,
    *,
    organizer: Member,
    people: list[Member],
    pictures: DemoMedia,
) -> None:
    initial = "upcoming" if plan.phase == "upcoming" else "open"
    data = ChallengeCreate.model_validate(
        {
            "title": plan.title,
            "theme": plan.theme,
            "description": f"This round's theme: {plan.theme.lower()}. One work per member.",
            "discipline": plan.discipline,
            "published": plan.phase != "draft",
            "repeat": plan.repeat,
            **_dates(initial),
        }
    )
    challenge = service.create_challenge(session, organizer=organizer, data=data)
    authors = rng.sample(people, k=min(plan.entries, len(people)))
    # Each work's id with its author's, so voters skip their own.
    works = [
        (_enter(session, rng, plan, challenge.id, a, pictures), a.id)  # type: ignore[arg-type]
        for a in authors
    ]
    if plan.phase in ("voting", "closed"):
        _move(session, challenge.id, "voting", organizer)  # type: ignore[arg-type]
        for voter in rng.sample(people, k=min(plan.voters, len(people))):
            _vote(session, rng, voter, works)
    if plan.phase == "closed":
        _move(session, challenge.id, "closed", organizer)  # type: ignore[arg-type]
        if works:
            feature = Moderation(action=ModerationAction.FEATURE, reason="A jury favourite.")
            submissions.moderate(
                session, submission_id=works[-1][0], organizer=organizer, data=feature
            )


def _enter(
    session: Session,
    rng: random.Random,
    plan: Plan,
    challenge_id: int,
    author: Member,
    pictures: DemoMedia,
) -> int:
    writing = plan.discipline == Discipline.WRITING
    title = f"{plan.theme} — {author.display_name}"
    media_ids: list[int] = []
    if plan.discipline in PICTURED:  # a picture drawn here, uploaded as the author's
        media_ids.append(
            pictures.upload(
                session,
                owner_id=author.id,  # type: ignore[arg-type]
                seed=author.handle,
                title=title,
                discipline=plan.discipline,
            )
        )
    data = SubmissionCreate(
        title=title,
        description="Made for this round.",
        content=PARAGRAPH * rng.randint(2, 6) if writing else "",
        media_ids=media_ids,
        license=rng.choice([License.ALL_RIGHTS_RESERVED, License.CC_BY, License.CC_BY_NC]),
        anthology_consent=rng.random() < 0.6,
    )
    work, _ = submissions.create_submission(
        session, challenge_id=challenge_id, member=author, data=data
    )
    return work.id  # type: ignore[return-value]


def _move(session: Session, challenge_id: int, phase: str, organizer: Member) -> None:
    challenge = service.lock(session, challenge_id=challenge_id, viewer=organizer, exclusive=True)
    service.update_challenge(
        session, challenge=challenge, changes=ChallengeUpdate.model_validate(_dates(phase))
    )


def _vote(
    session: Session, rng: random.Random, voter: Member, works: list[tuple[int, int | None]]
) -> None:
    others = [work for work, author in works if author != voter.id]
    for work in rng.sample(others, k=min(3, len(others))):
        votes.cast_vote(session, submission_id=work, member=voter)
