"""Anthologies: organizers choose works (or a challenge's winners) for a book.

Which chosen works are in the book is decided at every read, never stored: a work is in
when its author consents (`anthology_consent`), it is not disqualified and its challenge is
published and closed (nothing here may sway a running vote). So an author who withdraws
consent is out of the very next read and EPUB download, and back when they consent again;
the entry (with its place and the editor's note) is kept for that. Organizers see the works
left out, with the reason, in `excluded`.

Works, their authors and challenges are loaded for any number of anthologies in one joined
query, the works' files in one more (so an anthology of images is a gallery a client draws
from one request); lists count the works in the book with one grouped query per page.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.anthologies import card, epub, pictures
from app.anthologies.card import CardText
from app.anthologies.exceptions import AnthologyNotFound, ShareCardNotFound, UnknownWorks
from app.anthologies.schemas import (
    AnthologyAuthor,
    AnthologyChallenge,
    AnthologyCreate,
    AnthologyItem,
    AnthologyPublic,
    AnthologySummary,
    AnthologyUpdate,
    ExcludedWork,
    ExclusionReason,
)
from app.challenges import ranking
from app.challenges import service as challenges
from app.challenges.exceptions import ChallengeNotFound
from app.challenges.schemas import ChallengePhase
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.domain_events import (
    AnthologyCreated,
    AnthologyDeleted,
    AnthologyPublished,
    AnthologyUpdated,
    publish,
)
from app.core.errors import Unprocessable
from app.core.pagination import PageParams, desc, paginate
from app.core.tables import id_of
from app.i18n import N_
from app.media.schemas import MediaOut
from app.models import (
    Anthology,
    AnthologyEntry,
    AnthologyStatus,
    Challenge,
    License,
    Media,
    Member,
    Submission,
    is_organizer,
)
from app.problems.details import does_not_exist


@dataclass(frozen=True)
class Chosen:
    """An entry with its work, the work's author and challenge."""

    entry: AnthologyEntry
    work: Submission
    author: Member
    challenge: Challenge


def epub_url(anthology_id: int) -> str:
    return f"/api/v1/anthologies/{anthology_id}.epub"


# --- reading -------------------------------------------------------------------------------


def get_visible(session: Session, *, anthology_id: int, viewer: Member | None) -> Anthology:
    """The anthology, or 404: drafts exist only for organizers."""
    return _check_visible(session.get(Anthology, anthology_id), anthology_id, viewer)


def lock(session: Session, *, anthology_id: int, viewer: Member) -> Anthology:
    """The anthology re-read under `FOR NO KEY UPDATE`: its edits go one at a time."""
    statement = (
        select(Anthology)
        .where(Anthology.id == anthology_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return _check_visible(session.exec(statement).first(), anthology_id, viewer)


def _check_visible(
    anthology: Anthology | None, anthology_id: int, viewer: Member | None
) -> Anthology:
    visible = anthology is not None and (
        anthology.status == AnthologyStatus.PUBLISHED or is_organizer(viewer)
    )
    if anthology is None or not visible:
        raise does_not_exist(AnthologyNotFound, N_("Anthology"), anthology_id)
    return anthology


def list_anthologies(
    session: Session, *, viewer: Member | None, params: PageParams
) -> tuple[list[Anthology], str | None]:
    """Newest first: published ones for everyone, drafts too for organizers."""
    statement = select(Anthology)
    if not is_organizer(viewer):
        statement = statement.where(Anthology.status == AnthologyStatus.PUBLISHED)
    return paginate(session, statement, keys=[desc(Anthology.id)], params=params)


def exclusion(work: Submission, challenge: Challenge, now: datetime) -> ExclusionReason | None:
    """Why the work cannot be in a book now, or None when it can."""
    if work.disqualified:
        return ExclusionReason.DISQUALIFIED
    if challenges.phase_of(challenge, now) != ChallengePhase.CLOSED:
        return ExclusionReason.CHALLENGE_NOT_CLOSED
    if not work.anthology_consent:
        return ExclusionReason.NO_CONSENT
    return None


def _in_book(now: datetime) -> sa.ColumnElement[bool]:
    """`exclusion(...) is None`, as SQL."""
    return sa.and_(
        col(Submission.anthology_consent).is_(True),
        col(Submission.disqualified).is_(False),
        challenges.phase_condition(ChallengePhase.CLOSED, now),
    )


def chosen(session: Session, anthology_ids: Iterable[int]) -> dict[int, list[Chosen]]:
    """Every entry of the anthologies with its work, author and challenge: one query."""
    ids = sorted(set(anthology_ids))
    found: dict[int, list[Chosen]] = defaultdict(list)
    if not ids:
        return found
    statement = (
        select(AnthologyEntry, Submission, Member, Challenge)
        .join(Submission, col(Submission.id) == col(AnthologyEntry.submission_id))
        .join(Member, col(Member.id) == col(Submission.member_id))
        .join(Challenge, col(Challenge.id) == col(Submission.challenge_id))
        .where(col(AnthologyEntry.anthology_id).in_(ids))
        .order_by(col(AnthologyEntry.anthology_id), col(AnthologyEntry.position))
    )
    for entry, work, author, challenge in session.exec(statement):
        found[entry.anthology_id].append(Chosen(entry, work, author, challenge))
    return found


def included(rows: Sequence[Chosen], now: datetime) -> list[Chosen]:
    return [row for row in rows if exclusion(row.work, row.challenge, now) is None]


def _summary_fields(anthology: Anthology, work_count: int) -> dict[str, object]:
    return {
        **anthology.model_dump(exclude={"book_uuid"}),
        "work_count": work_count,
        "epub_url": epub_url(id_of(anthology)),
    }


def present_summaries(session: Session, anthologies: Sequence[Anthology]) -> list[AnthologySummary]:
    """A page of anthologies with the number of works in each book: one grouped query."""
    ids = [id_of(a) for a in anthologies]
    counts: dict[int, int] = {}
    if ids:
        statement = (
            sa.select(AnthologyEntry.anthology_id, sa.func.count())  # type: ignore[call-overload]
            .join(Submission, col(Submission.id) == col(AnthologyEntry.submission_id))
            .join(Challenge, col(Challenge.id) == col(Submission.challenge_id))
            .where(col(AnthologyEntry.anthology_id).in_(ids), _in_book(utcnow()))
            .group_by(AnthologyEntry.anthology_id)
        )
        counts = {int(row[0]): int(row[1]) for row in session.execute(statement)}
    return [
        AnthologySummary.model_validate(_summary_fields(a, counts.get(id_of(a), 0)))
        for a in anthologies
    ]


def present(
    session: Session,
    anthology: Anthology,
    *,
    viewer: Member | None,
) -> AnthologyPublic:
    """The anthology with its works in order; organizers also see what was left out, and
    every chosen work in `submission_ids` (others: the works in the book)."""
    now = utcnow()
    rows = chosen(session, [id_of(anthology)])[id_of(anthology)]
    inside = included(rows, now)
    excluded: list[ExcludedWork] = []
    shown = inside
    if is_organizer(viewer):
        shown = rows
        for row in rows:
            reason = exclusion(row.work, row.challenge, now)
            if reason is not None:
                excluded.append(ExcludedWork(submission_id=row.entry.submission_id, reason=reason))
    media = pictures.media_of_works(session, [row.entry.submission_id for row in inside])
    items = [
        _item(row, position, media[row.entry.submission_id])
        for position, row in enumerate(inside, start=1)
    ]
    return AnthologyPublic.model_validate(
        {
            **_summary_fields(anthology, len(items)),
            "submission_ids": [row.entry.submission_id for row in shown],
            "items": items,
            "excluded": excluded,
        }
    )


def _item(row: Chosen, position: int, media: list[MediaOut]) -> AnthologyItem:
    return AnthologyItem(
        submission_id=row.entry.submission_id,
        position=position,
        title=row.work.title,
        description=row.work.description,
        license=License(row.work.license),
        editor_note=row.entry.editor_note,
        media=media,
        author=AnthologyAuthor(
            id=id_of(row.author), handle=row.author.handle, display_name=row.author.display_name
        ),
        challenge=AnthologyChallenge(id=row.challenge.id, title=row.challenge.title),  # type: ignore[arg-type]
    )


# --- writing -------------------------------------------------------------------------------


def create_anthology(session: Session, *, organizer: Member, data: AnthologyCreate) -> Anthology:
    """The new anthology; 422 (and nothing written) when it names works that do not exist."""
    wanted = _wanted(session, data, organizer=organizer) or []
    _require_existing(session, data, wanted=wanted)
    now = utcnow()
    published = data.status == AnthologyStatus.PUBLISHED
    anthology = Anthology(
        book_uuid=str(uuid.uuid4()),
        title=data.title,
        description=data.description,
        status=data.status,
        created_by_id=organizer.id,
        created_at=now,
        updated_at=now,
        published_at=now if published else None,
    )
    session.add(anthology)
    session.flush()
    _replace_entries(session, anthology=anthology, wanted=wanted)
    publish(session, AnthologyCreated(actor_id=organizer.id, anthology_id=id_of(anthology)))
    if published:
        publish(session, AnthologyPublished(actor_id=organizer.id, anthology_id=id_of(anthology)))
    return anthology


def update_anthology(
    session: Session, *, anthology: Anthology, changes: AnthologyUpdate, actor: Member
) -> Anthology:
    """Applies the changes to a locked anthology; the first publication is announced. 422
    (and nothing changed) when the works named include some that do not exist."""
    now = utcnow()
    wanted = _wanted(session, changes, organizer=actor)
    if wanted is not None:
        _require_existing(session, changes, wanted=wanted)
        _replace_entries(session, anthology=anthology, wanted=wanted)
    for field in ("title", "description", "status"):
        if field in changes.model_fields_set:
            setattr(anthology, field, getattr(changes, field))
    first_publication = (
        anthology.status == AnthologyStatus.PUBLISHED and anthology.published_at is None
    )
    if first_publication:
        anthology.published_at = now
    if changes.model_fields_set:
        anthology.updated_at = now
    session.add(anthology)
    session.flush()
    publish(session, AnthologyUpdated(actor_id=actor.id, anthology_id=id_of(anthology)))
    if first_publication:  # the row is locked: one request publishes it first
        publish(session, AnthologyPublished(actor_id=actor.id, anthology_id=id_of(anthology)))
    return anthology


def delete_anthology(session: Session, *, anthology: Anthology, actor: Member) -> None:
    """Deletes the anthology and its entries (the works themselves stay)."""
    session.execute(sa.delete(Anthology).where(col(Anthology.id) == anthology.id))
    publish(session, AnthologyDeleted(actor_id=actor.id, anthology_id=id_of(anthology)))


def _wanted(
    session: Session, data: AnthologyCreate | AnthologyUpdate, *, organizer: Member
) -> list[tuple[int, str]] | None:
    """The works asked for, in book order with their notes; None when none were sent."""
    if data.entries is not None:
        return [(e.submission_id, e.editor_note) for e in data.entries]
    if data.submission_ids is not None:
        return [(submission_id, "") for submission_id in data.submission_ids]
    if data.challenge_ids is not None:
        return [(i, "") for i in winners(session, data.challenge_ids, organizer=organizer)]
    return None


def winners(session: Session, challenge_ids: Sequence[int], *, organizer: Member) -> list[int]:
    """The winners of each closed challenge in results order (most votes first, or for a
    jury the highest score; ties by earlier entry), from the tallies the results use: a tie
    at the cut-off shares the win."""
    found: list[int] = []
    now = utcnow()
    for index, challenge_id in enumerate(dict.fromkeys(challenge_ids)):
        try:
            challenge = challenges.get_visible(session, challenge_id=challenge_id, viewer=organizer)
        except ChallengeNotFound as error:
            raise Unprocessable(
                N_("Challenge {challenge_id} does not exist."),
                values={"challenge_id": challenge_id},
                loc=["body", "challenge_ids", index],
            ) from error
        challenges.require_closed(challenge, now)
        challenge = challenges.ensure_ranked(session, challenge, viewer=organizer)
        threshold = ranking.winning_votes(session, challenge)
        tally = ranking.key(challenge)  # votes, or the jury's final score
        statement = (
            select(Submission.id)
            .where(
                Submission.challenge_id == challenge_id,
                col(Submission.disqualified).is_(False),
                tally >= threshold,
            )
            .order_by(tally.desc(), col(Submission.id))
        )
        found += [i for i in session.exec(statement) if i is not None and i not in found]
    return found


def _require_existing(
    session: Session, data: AnthologyCreate | AnthologyUpdate, *, wanted: list[tuple[int, str]]
) -> None:
    """422 naming every work asked for that does not exist (a challenge's winners always
    do); `excluded` is for works that exist but may not be printed."""
    ids = [submission_id for submission_id, _ in wanted]
    existing = (
        set(session.exec(select(Submission.id).where(col(Submission.id).in_(ids))))
        if ids
        else set()
    )
    unknown = {i: _where_named(data, index) for index, i in enumerate(ids) if i not in existing}
    if unknown:
        raise UnknownWorks(unknown)


def _where_named(data: AnthologyCreate | AnthologyUpdate, index: int) -> list[str | int]:
    if data.entries is not None:
        return ["body", "entries", index, "submission_id"]
    return ["body", "submission_ids", index]


def _replace_entries(
    session: Session, *, anthology: Anthology, wanted: list[tuple[int, str]]
) -> None:
    """Replaces the anthology's entries with `wanted` (works that exist), in order."""
    session.execute(
        sa.delete(AnthologyEntry).where(col(AnthologyEntry.anthology_id) == anthology.id)
    )
    for position, (submission_id, note) in enumerate(wanted):
        session.add(
            AnthologyEntry(
                anthology_id=id_of(anthology),
                submission_id=submission_id,
                position=position,
                editor_note=note,
            )
        )
    session.flush()


# --- the book and the share card -----------------------------------------------------------


def book(session: Session, *, anthology: Anthology, settings: Settings) -> epub.Book:
    """The anthology's book: consent and standing are checked again now, so a work whose
    author withdrew consent is not printed."""
    now = utcnow()
    inside = included(chosen(session, [id_of(anthology)])[id_of(anthology)], now)
    dates = [anthology.updated_at, *(row.work.updated_at for row in inside)]
    images = pictures.work_images(session, [row.entry.submission_id for row in inside])
    return epub.Book(
        identifier=f"urn:uuid:{anthology.book_uuid}",
        title=anthology.title,
        description=anthology.description,
        language=settings.community_language,
        publisher=settings.community_name,
        modified=max(dates).replace(microsecond=0),
        works=[
            epub.BookWork(
                title=row.work.title,
                author_name=row.author.display_name,
                author_handle=row.author.handle,
                license=row.work.license,
                editor_note=row.entry.editor_note,
                description=row.work.description,
                content=row.work.content,
                media_urls=list(row.work.media_urls),
                challenge_title=row.challenge.title,
                images=_book_images(settings, images[row.entry.submission_id], row.work.title),
            )
            for row in inside
        ],
    )


def _book_images(settings: Settings, media: Sequence[Media], title: str) -> list[epub.BookImage]:
    """The work's pictures as JPEG for the book, each with its alt text (else the title);
    one that cannot be read is left out."""
    found: list[epub.BookImage] = []
    for row in media:
        key = pictures.picture_key(row)
        picture = pictures.load(settings, key) if key else None
        if picture is None:
            continue
        found.append(
            epub.BookImage(
                jpeg=card.jpeg(picture),
                alt=row.alt_text or title,
                width=picture.width,
                height=picture.height,
            )
        )
    return found


def ordinal(rank: int) -> str:
    suffix = "th" if 11 <= rank % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    return f"{rank}{suffix}"


def share_card_text(session: Session, *, submission_id: int, settings: Settings) -> CardText:
    """What goes on a work's share card; 404 unless it won or is featured in a closed
    challenge (and is not disqualified): the card is for the public showcase's works."""
    row = session.exec(
        select(Submission, Challenge, Member)
        .join(Challenge, col(Challenge.id) == col(Submission.challenge_id))
        .join(Member, col(Member.id) == col(Submission.member_id))
        .where(Submission.id == submission_id)
    ).first()
    missing = ShareCardNotFound(
        N_(
            "Submission {submission_id} has no share card: only winning or "
            "featured works of closed challenges have one."
        ),
        values={"submission_id": submission_id},
    )
    if row is None:
        raise missing
    work, challenge, author = row
    closed = challenges.phase_of(challenge, utcnow()) == ChallengePhase.CLOSED
    if not closed or work.disqualified or not author.is_active:
        raise missing
    challenge = challenges.ensure_ranked(session, challenge, viewer=None)
    work = session.get(Submission, work.id, populate_existing=True) or work
    rank = ranking.ranks(session, challenge, [work])[0]
    winner = rank <= challenge.winners_count
    if not (winner or work.featured):
        raise missing
    images = pictures.work_images(session, [submission_id]).get(submission_id, [])
    keys = (pictures.picture_key(media) for media in images)
    return CardText(
        title=work.title,
        handle=author.handle,
        challenge_title=challenge.title,
        label=f"{ordinal(rank)} place" if winner else "Featured",
        community=settings.community_name,
        winner=winner,
        picture=next((key for key in keys if key is not None), None),
    )
