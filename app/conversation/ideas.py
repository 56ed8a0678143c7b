"""The idea box: proposals, idempotent upvotes, and the organizers' status and answer.

One upvote per member and idea is the primary key of `idea_upvotes`, met by
`INSERT … ON CONFLICT DO NOTHING RETURNING`: only a request that inserted a row raises the
idea's `upvote_count` (and only one that deleted a row lowers it), in the same
transaction, so repeated or concurrent upvotes by one member count once.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.conversation import policies
from app.conversation.exceptions import IdeaNoLongerNew, IdeaNotFound, OrganizerOnlyFields
from app.conversation.schemas import IdeaCreate, IdeaFilters, IdeaPublic, IdeaSort, IdeaUpdate
from app.core.clock import utcnow
from app.core.db import NO_SYNC, rows_affected, upsert_insert
from app.core.domain_events import IdeaCreated, IdeaStatusChanged, publish
from app.core.pagination import PageParams, desc, paginate
from app.i18n import N_
from app.models import Idea, IdeaStatus, IdeaUpvote, Member, is_organizer
from app.problems.details import does_not_exist

ANSWER_FIELDS = frozenset({"status", "response"})


def _idea_or_404(idea: Idea | None, idea_id: int, viewer: Member) -> Idea:
    if idea is None or (idea.hidden_at is not None and not is_organizer(viewer)):
        raise does_not_exist(IdeaNotFound, N_("Idea"), idea_id)
    return idea


def get_idea(session: Session, *, idea_id: int, viewer: Member, fresh: bool = False) -> Idea:
    statement = select(Idea).where(Idea.id == idea_id)
    if fresh:  # re-read after a counter moved in SQL
        statement = statement.execution_options(populate_existing=True)
    return _idea_or_404(session.exec(statement).first(), idea_id, viewer)


def lock_idea(session: Session, *, idea_id: int, viewer: Member) -> Idea:
    statement = (
        select(Idea)
        .where(Idea.id == idea_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return _idea_or_404(session.exec(statement).first(), idea_id, viewer)


def create_idea(session: Session, *, author: Member, data: IdeaCreate) -> Idea:
    now = utcnow()
    idea = Idea(author_id=author.id, **data.model_dump(), created_at=now, updated_at=now)
    session.add(idea)
    session.flush()
    assert idea.id is not None  # flushed
    publish(session, IdeaCreated(actor_id=author.id, idea_id=idea.id, title=idea.title))
    return idea


def update_idea(session: Session, *, idea: Idea, changes: IdeaUpdate, actor: Member) -> Idea:
    """Organizers answer (`status`, `response`); the proposer edits while it is `new`. A
    changed status is announced (`idea.status_changed`) and the proposer notified."""
    sent = changes.model_dump(exclude_unset=True)
    if ANSWER_FIELDS & sent.keys() and not is_organizer(actor):
        raise OrganizerOnlyFields(N_("Only organizers set an idea's status and response."))
    if sent.keys() - ANSWER_FIELDS:
        policies.require_author(idea, actor, what=N_("idea"))
        if idea.status != IdeaStatus.NEW:
            raise IdeaNoLongerNew(N_("The organizers are on it; the idea can no longer be edited."))
    now, previous = utcnow(), idea.status
    for field, value in sent.items():
        setattr(idea, field, value)
    if "response" in sent:
        idea.responded_at = now if idea.response else None
        idea.responded_by_id = actor.id if idea.response else None
    if sent:
        idea.updated_at = now
    session.add(idea)
    session.flush()
    if idea.status != previous:
        assert idea.id is not None  # read back
        publish(
            session,
            IdeaStatusChanged(
                actor_id=actor.id,
                idea_id=idea.id,
                status=idea.status,
                proposer_id=idea.author_id,
            ),
        )
    return idea


def _move_count(session: Session, idea_id: int, delta: int) -> None:
    session.execute(
        sa.update(Idea)
        .where(col(Idea.id) == idea_id)
        .values(upvote_count=col(Idea.upvote_count) + delta),
        execution_options=NO_SYNC,
    )


def upvote(session: Session, *, idea_id: int, member: Member) -> Idea:
    """Upvotes the idea; upvoting again changes nothing. Proposers may upvote their own."""
    get_idea(session, idea_id=idea_id, viewer=member)
    insert = upsert_insert(session, IdeaUpvote).values(
        idea_id=idea_id, member_id=member.id, created_at=utcnow()
    )
    inserted = session.execute(
        insert.on_conflict_do_nothing(index_elements=["idea_id", "member_id"]).returning(
            col(IdeaUpvote.idea_id)
        )
    ).first()
    if inserted is not None:
        _move_count(session, idea_id, +1)
    return get_idea(session, idea_id=idea_id, viewer=member, fresh=True)


def remove_upvote(session: Session, *, idea_id: int, member: Member) -> None:
    """Takes the caller's upvote back; without one, nothing changes."""
    get_idea(session, idea_id=idea_id, viewer=member)
    removed = session.execute(
        sa.delete(IdeaUpvote).where(
            col(IdeaUpvote.idea_id) == idea_id, col(IdeaUpvote.member_id) == member.id
        )
    )
    if rows_affected(removed):
        _move_count(session, idea_id, -1)


def list_ideas(
    session: Session, *, viewer: Member, filters: IdeaFilters, params: PageParams
) -> tuple[list[Idea], str | None]:
    statement = policies.visible(select(Idea), Idea, viewer)
    if filters.status is not None:
        statement = statement.where(Idea.status == filters.status)
    keys = [desc(Idea.id)]
    if filters.sort == IdeaSort.TOP:
        keys = [desc(Idea.upvote_count), desc(Idea.id)]
    return paginate(session, statement, keys=keys, params=params)


def present_ideas(session: Session, ideas: Sequence[Idea], *, viewer: Member) -> list[IdeaPublic]:
    """A page of ideas with their proposers and the viewer's upvotes: two queries."""
    people = policies.authors(session, (i.author_id for i in ideas))
    ids = [i.id for i in ideas]
    mine = set(
        session.exec(
            select(IdeaUpvote.idea_id).where(
                col(IdeaUpvote.idea_id).in_(ids), IdeaUpvote.member_id == viewer.id
            )
        )
        if ids
        else ()
    )
    return [
        IdeaPublic(
            id=idea.id,  # type: ignore[arg-type]
            title=idea.title,
            body=idea.body,
            author=people.get(idea.author_id) if idea.author_id else None,
            status=IdeaStatus(idea.status),
            response=idea.response,
            responded_at=idea.responded_at,
            upvote_count=idea.upvote_count,
            upvoted=idea.id in mine,
            created_at=idea.created_at,
            updated_at=idea.updated_at,
            hidden=idea.hidden_at is not None,
        )
        for idea in ideas
    ]


def present_idea(session: Session, idea: Idea, *, viewer: Member) -> IdeaPublic:
    return present_ideas(session, [idea], viewer=viewer)[0]
