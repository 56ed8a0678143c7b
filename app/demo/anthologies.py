"""The demo community's anthologies: the winners of its closed writing challenges, published
as a book with an editor's note on the first work, and the most-voted photographs of its
closed photography challenges whose authors consented (up to `EXHIBITION_SIZE`) as a virtual
exhibition, a curator's note beside every picture.

They go through the service, so the demo obeys the API's rules (only consenting works of
closed challenges are in a book). Seeding twice adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.progress import Progress
from sqlmodel import Session, col, select

from app.anthologies import service
from app.anthologies.schemas import AnthologyCreate, EntryInput
from app.challenges import service as challenges
from app.challenges.schemas import ChallengePhase
from app.core.clock import utcnow
from app.models import (
    Anthology,
    AnthologyStatus,
    Challenge,
    Discipline,
    Member,
    Role,
    Submission,
)

TITLE = "Cerita Hujan: the community's flash fiction"
DESCRIPTION = (
    "The winning stories of our writing challenges, collected with their authors' consent. "
    "Download it as an EPUB book for any reading app."
)
NOTE = "The story that made the jury go quiet: read it aloud."
EXHIBITION_TITLE = "Morning Light: an exhibition"
EXHIBITION_DESCRIPTION = (
    "The most-voted photographs of our weekly photo challenges, hung together with their "
    "authors' consent, each with the curator's note."
)
EXHIBITION_SIZE = 6
CURATOR_NOTES = [
    "The first light, before the market wakes: the whole round in one frame.",
    "Patience rewarded: the photographer came back three mornings for this.",
    "Quiet colours, and a horizon that holds the picture together.",
]


@dataclass(frozen=True)
class Book:
    title: str
    description: str
    discipline: Discipline
    # The editor's notes, given in turn to the works in the book (every_work) or to the
    # first one only.
    notes: list[str]
    every_work: bool
    # Winners of the closed challenges (ties at the cut-off included), or else the most-voted
    # consenting works, up to this many.
    top: int | None = None


BOOKS = [
    Book(TITLE, DESCRIPTION, Discipline.WRITING, [NOTE], every_work=False),
    Book(
        EXHIBITION_TITLE,
        EXHIBITION_DESCRIPTION,
        Discipline.PHOTOGRAPHY,
        CURATOR_NOTES,
        every_work=True,
        top=EXHIBITION_SIZE,
    ),
]


def seed_anthology(session: Session, *, progress: Progress) -> int:
    """Creates the demo anthologies; returns how many were created (0 when already there)."""
    task = progress.add_task("Anthologies", total=len(BOOKS))
    editor = session.exec(
        select(Member).where(Member.role == Role.ORGANIZER).order_by(col(Member.id))
    ).first()
    created = 0
    for book in BOOKS:
        if editor is not None:
            created += _seed_book(session, book, editor=editor)
        progress.advance(task)
    return created


def _seed_book(session: Session, book: Book, *, editor: Member) -> int:
    if session.exec(select(Anthology.id).where(Anthology.title == book.title)).first():
        return 0
    now = utcnow()
    rounds = session.exec(
        select(Challenge).where(Challenge.discipline == book.discipline).order_by(col(Challenge.id))
    ).all()
    closed = [c.id for c in rounds if challenges.phase_of(c, now) == ChallengePhase.CLOSED]
    if not closed:
        return 0
    ids = [i for i in closed if i is not None]
    picked = (
        service.winners(session, ids, organizer=editor)
        if book.top is None
        else _most_voted(session, ids, book.top)
    )
    consenting = set(
        session.exec(
            select(Submission.id).where(
                col(Submission.id).in_(picked), col(Submission.anthology_consent).is_(True)
            )
        )
    )
    # The notes go to the works that are in the book, in order.
    inside = [i for i in picked if i in consenting]
    if not book.every_work:
        inside = inside[:1]
    notes = {work: book.notes[n % len(book.notes)] for n, work in enumerate(inside)}
    entries = [EntryInput(submission_id=i, editor_note=notes.get(i, "")) for i in picked]
    data = AnthologyCreate(
        title=book.title,
        description=book.description,
        status=AnthologyStatus.PUBLISHED,
        entries=entries,
    )
    service.create_anthology(session, organizer=editor, data=data)
    return 1


def _most_voted(session: Session, challenge_ids: list[int], limit: int) -> list[int]:
    """The most-voted works of the challenges whose authors consented, not disqualified."""
    statement = (
        select(Submission.id)
        .where(
            col(Submission.challenge_id).in_(challenge_ids),
            col(Submission.anthology_consent).is_(True),
            col(Submission.disqualified).is_(False),
        )
        .order_by(col(Submission.vote_count).desc(), col(Submission.id))
        .limit(limit)
    )
    return [i for i in session.exec(statement) if i is not None]
