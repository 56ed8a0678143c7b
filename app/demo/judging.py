"""The demo community's judged challenge: a short-story prize decided by a jury and the
public vote together (combined mode), closed, so its results show scores, the per-criterion
breakdown and the audience award.

Everything goes through the service functions: the jurors score during voting, and a juror
who mentors (or mentored) an author is refused that work (`conflict_of_interest`), as in
the API.
"""

from __future__ import annotations

import contextlib
import random

from rich.progress import Progress
from sqlmodel import Session

from app.challenges import service as challenges
from app.challenges.schemas import ChallengeCreate, ChallengeUpdate
from app.challenges.sweep import sweep
from app.demo import roster
from app.demo.challenges import PARAGRAPH, _dates
from app.judging import service as judging
from app.judging.exceptions import ConflictOfInterest
from app.judging.schemas import ScoreIn
from app.models import Discipline, License, Member
from app.submissions import service as submissions
from app.submissions.schemas import SubmissionCreate
from app.votes import service as votes

TITLE = "Short story prize: Kampung stories"
CRITERIA = [
    {"key": "story", "title": "Story", "weight": 2},
    {"key": "language", "title": "Language", "weight": 1},
    {"key": "theme", "title": "Fit to the theme", "weight": 1},
]
NOTES = [
    "The ending lands; the middle could lose a paragraph.",
    "A voice I would follow for a whole book.",
    "Lovely detail of the kampung; the dialogue feels stiff in places.",
    "",
]
STORY_TITLES = [
    "The well behind the mosque",
    "Pak Harun's radio",
    "Rain on the zinc roofs",
    "The last becak",
    "Kites over the rice field",
    "Grandmother's buckets",
    "Night market",
    "The kampung that moved",
]
JURORS, ENTRIES, VOTERS = 3, 8, 20


def seed_judged_challenge(session: Session, rng: random.Random, *, progress: Progress) -> None:
    task = progress.add_task("Judged challenge", total=4)
    organizer = roster.organizer(session)
    people = roster.crowd(session)
    jurors = rng.sample(people, k=min(JURORS, len(people)))
    challenge_id = _create(session, organizer, jurors)
    progress.advance(task)
    candidates = [p for p in people if p not in jurors]
    authors = rng.sample(candidates, k=min(ENTRIES, len(candidates)))
    works = [_enter(session, rng, challenge_id, author) for author in authors]
    _move(session, challenge_id, "voting", organizer)
    progress.advance(task)
    for voter in rng.sample(people, k=min(VOTERS, len(people))):
        others = [work for work, author in zip(works, authors, strict=True) if author != voter]
        for work in rng.sample(others, k=min(3, len(others))):
            votes.cast_vote(session, submission_id=work, member=voter)
    for juror in jurors:
        for work in works:
            _score(session, rng, work, juror)
    progress.advance(task)
    _move(session, challenge_id, "closed", organizer)
    sweep(session)  # announce it closed, as the periodic sweep would
    progress.advance(task)


def _create(session: Session, organizer: Member, jurors: list[Member]) -> int:
    data = ChallengeCreate.model_validate(
        {
            "title": TITLE,
            "theme": "Kampung stories",
            "description": "Up to 1,500 words set in a kampung. A jury of three reads every "
            "story; their scores count for 60% and the public vote for 40%.",
            "discipline": Discipline.WRITING,
            "published": True,
            "votes_per_member": 3,
            "winners_count": 3,
            "judging": {
                "mode": "combined",
                "jury_weight": 0.6,
                "criteria": CRITERIA,
                "juror_ids": [juror.id for juror in jurors],
            },
            **_dates("open"),
        }
    )
    challenge = challenges.create_challenge(session, organizer=organizer, data=data)
    assert challenge.id is not None  # flushed
    return challenge.id


def _enter(session: Session, rng: random.Random, challenge_id: int, author: Member) -> int:
    data = SubmissionCreate(
        title=rng.choice(STORY_TITLES),  # never the author's name: the jury reads blind
        description="A story for the prize.",
        content=PARAGRAPH * rng.randint(2, 6),
        license=rng.choice([License.ALL_RIGHTS_RESERVED, License.CC_BY]),
        anthology_consent=rng.random() < 0.7,
    )
    work, _ = submissions.create_submission(
        session, challenge_id=challenge_id, member=author, data=data
    )
    assert work.id is not None  # flushed
    return work.id


def _move(session: Session, challenge_id: int, phase: str, organizer: Member) -> None:
    challenge = challenges.lock(
        session, challenge_id=challenge_id, viewer=organizer, exclusive=True
    )
    challenges.update_challenge(
        session, challenge=challenge, changes=ChallengeUpdate.model_validate(_dates(phase))
    )


def _score(session: Session, rng: random.Random, work_id: int, juror: Member) -> None:
    scores = {criterion["key"]: rng.randint(4, 10) for criterion in CRITERIA}
    data = ScoreIn(scores=scores, note=rng.choice(NOTES))  # type: ignore[arg-type]
    # A juror who mentors (or mentored) the author leaves that work to the others.
    with contextlib.suppress(ConflictOfInterest):
        judging.score_work(session, submission_id=work_id, juror=juror, data=data)
