"""The demo community's anthology: the winners of its closed writing challenges, published
as a book, with an editor's note on the first work.

It goes through the service, so the demo obeys the API's rules (only consenting works of
closed challenges are in the book). Seeding twice adds nothing.
"""

from __future__ import annotations

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


def seed_anthology(session: Session, *, progress: Progress) -> int:
    """Creates the demo anthology; returns how many were created (0 when already there)."""
    task = progress.add_task("Anthologies", total=1)
    if session.exec(select(Anthology.id).where(Anthology.title == TITLE)).first() is not None:
        progress.advance(task)
        return 0
    editor = session.exec(
        select(Member).where(Member.role == Role.ORGANIZER).order_by(col(Member.id))
    ).first()
    now = utcnow()
    writing = session.exec(
        select(Challenge)
        .where(Challenge.discipline == Discipline.WRITING)
        .order_by(col(Challenge.id))
    ).all()
    closed = [c.id for c in writing if challenges.phase_of(c, now) == ChallengePhase.CLOSED]
    if editor is None or not closed:
        progress.advance(task)
        return 0
    winners = service.winners(session, [i for i in closed if i is not None], organizer=editor)
    consenting = set(
        session.exec(
            select(Submission.id).where(
                col(Submission.id).in_(winners), col(Submission.anthology_consent).is_(True)
            )
        )
    )
    # The note goes to the first work that is in the book.
    noted = next((i for i in winners if i in consenting), None)
    entries = [EntryInput(submission_id=i, editor_note=NOTE if i == noted else "") for i in winners]
    data = AnthologyCreate(
        title=TITLE, description=DESCRIPTION, status=AnthologyStatus.PUBLISHED, entries=entries
    )
    service.create_anthology(session, organizer=editor, data=data)
    progress.advance(task)
    return 1
