"""The demo community's conversations: threads with replies (one pinned, one locked),
feedback on challenge works, an idea box the organizers answer, and announcements.

Everything goes through the service functions, so the demo obeys the same rules as the API
(post counts, idempotent upvotes, notifications to authors and proposers). Choices come from
the seed's random.Random, so one seed always grows the same conversations.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from rich.progress import Progress
from sqlmodel import Session, col, select

from app.conversation import announcements, comments, ideas, threads
from app.conversation.schemas import (
    AnnouncementCreate,
    CommentCreate,
    IdeaCreate,
    IdeaUpdate,
    PostCreate,
    ThreadCreate,
    ThreadUpdate,
)
from app.demo import roster
from app.models import IdeaStatus, Member, Submission


@dataclass(frozen=True)
class ThreadPlan:
    title: str
    body: str
    category: str
    replies: list[str] = field(default_factory=list)
    by_organizer: bool = False
    pinned: bool = False
    locked: bool = False


THREADS = [
    ThreadPlan(
        "Welcome! Introduce yourself",
        "Tell us your city, what you make and what you would like to learn this year.",
        "community",
        [
            "Hi from Bandung! Illustrator, mostly ink and risograph.",
            "Yogyakarta here: street photography, learning film.",
            "Writer from Medan, working on my first short story collection.",
            "Motion designer in Jakarta; happy to help with After Effects.",
        ],
        by_organizer=True,
        pinned=True,
    ),
    ThreadPlan(
        "House rules",
        "Critique the work, not the person. Credit others. No spam. Organizers moderate.",
        "community",
        by_organizer=True,
        locked=True,
    ),
    ThreadPlan(
        "Which risograph inks hold up in humid weather?",
        "Our zine run smeared in the rainy season. What works for you?",
        "printing",
        [
            "Soy-based inks and a dehumidifier in the print room.",
            "Let each colour dry overnight before the next pass.",
            "We print in the morning, before the humidity peaks.",
        ],
    ),
    ThreadPlan(
        "Pricing your first commission",
        "A café asked me for a mural. How do you price your time and materials?",
        "business",
        [
            "Day rate times days, plus materials, plus 20% for revisions.",
            "Ask for half up front; it saves a lot of trouble.",
        ],
    ),
    ThreadPlan(
        "Feedback swap for the photo challenge",
        "Post a link to your entry and comment on the two above yours.",
        "challenges",
        ["Here's mine: morning light at Pasar Beringharjo.", "Lovely framing on the last one!"],
    ),
]
FEEDBACK = [
    "The light on the left edge is beautiful.",
    "I love the colours; the composition could breathe a little more at the top.",
    "This made me smile. The details in the background reward a second look.",
    "Strong opening line! The ending felt rushed to me.",
    "Great texture. What paper did you use?",
    "The contrast really works here.",
]
IDEAS: list[tuple[str, str, IdeaStatus, str | None]] = [
    (
        "A monthly print swap",
        "Everyone brings five prints and leaves with five others.",
        IdeaStatus.PLANNED,
        "Yes! The first swap is at the January social.",
    ),
    (
        "Portfolio review night",
        "Seniors review three portfolios each, fifteen minutes per person.",
        IdeaStatus.UNDER_REVIEW,
        "Looking for mentors who can host; reply in the forum.",
    ),
    (
        "A Discord bot that posts new challenges",
        "Through the webhooks, so nobody misses the opening.",
        IdeaStatus.DONE,
        "Live in #challenges since November.",
    ),
    ("Paid workshops", "Charge a small fee for advanced classes.", IdeaStatus.DECLINED, None),
    ("A shared equipment library", "Lend lenses, tablets and a riso.", IdeaStatus.NEW, None),
]
ANNOUNCEMENTS = [
    (
        "The year-end exhibition opens on 20 December",
        "Forty works from this year's challenges, at Galeri Kota, Bandung.",
        True,
    ),
    ("New: comments on works", "Give feedback under any challenge entry.", False),
    ("Server maintenance on Sunday", "Sanggar is offline 02:00–03:00 WIB.", False),
]


def _seed_threads(
    session: Session, rng: random.Random, organizer: Member, crowd: list[Member]
) -> None:
    for plan in THREADS:
        author = organizer if plan.by_organizer else rng.choice(crowd)
        data = ThreadCreate(title=plan.title, body=plan.body, category=plan.category)
        thread = threads.create_thread(session, author=author, data=data)
        assert thread.id is not None
        for body in plan.replies:
            post = PostCreate(body=body)
            threads.create_post(session, thread_id=thread.id, author=rng.choice(crowd), data=post)
        if plan.pinned or plan.locked:
            changes = ThreadUpdate(pinned=plan.pinned, locked=plan.locked)
            session.refresh(thread)
            threads.update_thread(session, thread=thread, changes=changes, actor=organizer)


def _seed_comments(session: Session, rng: random.Random, crowd: list[Member]) -> None:
    works = list(session.exec(select(Submission).order_by(col(Submission.id))))
    for submission in rng.sample(works, k=min(len(works), 12)):
        assert submission.id is not None
        for _ in range(rng.randint(1, 3)):
            data = CommentCreate(body=rng.choice(FEEDBACK))
            comments.create_comment(
                session, submission_id=submission.id, author=rng.choice(crowd), data=data
            )


def _seed_ideas(
    session: Session, rng: random.Random, organizer: Member, crowd: list[Member]
) -> None:
    for title, body, status, response in IDEAS:
        idea = ideas.create_idea(
            session, author=rng.choice(crowd), data=IdeaCreate(title=title, body=body)
        )
        assert idea.id is not None
        for voter in rng.sample(crowd, k=rng.randint(0, min(len(crowd), 15))):
            ideas.upvote(session, idea_id=idea.id, member=voter)
        if status != IdeaStatus.NEW:
            answer = IdeaUpdate(status=status, response=response)
            ideas.update_idea(session, idea=idea, changes=answer, actor=organizer)


def seed_conversation(session: Session, rng: random.Random, *, progress: Progress) -> int:
    """Creates the demo threads, comments, ideas and announcements; returns the threads."""
    organizer = roster.organizer(session)
    crowd = roster.crowd(session)
    task = progress.add_task("Conversations", total=4)
    if crowd:
        _seed_threads(session, rng, organizer, crowd)
        progress.advance(task)
        _seed_comments(session, rng, crowd)
        progress.advance(task)
        _seed_ideas(session, rng, organizer, crowd)
        progress.advance(task)
    for title, body, pinned in ANNOUNCEMENTS:
        data = AnnouncementCreate(title=title, body=body, pinned=pinned)
        announcements.create_announcement(session, author=organizer, data=data)
    progress.advance(task)
    return len(THREADS) if crowd else 0
