"""Who may do what in conversations, whose names a page shows, and how a comment or a post is
deleted in place and shown afterwards."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from app.conversation.exceptions import NotAuthor
from app.conversation.schemas import Author
from app.core.clock import utcnow
from app.core.db import NO_SYNC, rows_affected
from app.core.tables import id_of
from app.i18n import N_, message
from app.models import Comment, Member, Post, is_organizer


def require_author(row: Any, member: Member, *, what: str) -> None:
    if row.author_id is None or row.author_id != member.id:
        raise NotAuthor(
            N_("Only the author may change this {what}."), values={"what": message(what)}
        )


def visible(statement: Any, model: Any, viewer: Member | None) -> Any:
    """Hidden rows leave every list and lookup, except for organizers."""
    if is_organizer(viewer):
        return statement
    return statement.where(col(model.hidden_at).is_(None))


def authors(
    session: Session, member_ids: Iterable[int | None], *, known: Iterable[Member] = ()
) -> dict[int, Author]:
    """Names of every author on a page, in one query; none for the members `known` (the
    caller, who just wrote one: their row is in hand already)."""
    found = {id_of(member): Author.model_validate(member, from_attributes=True) for member in known}
    ids = {member_id for member_id in member_ids if member_id is not None} - found.keys()
    if not ids:
        return found
    rows = session.execute(
        sa.select(Member.id, Member.handle, Member.display_name, Member.avatar_url).where(  # type: ignore[call-overload]
            col(Member.id).in_(ids)
        )
    )
    return found | {row.id: Author.model_validate(row, from_attributes=True) for row in rows}


def shown_fields(
    session: Session, rows: Sequence[Comment] | Sequence[Post], *, known: Iterable[Member] = ()
) -> list[dict[str, Any]]:
    """What each comment or post shows, its authors' names read in one query: a deleted one
    keeps its place in the conversation, but neither its author nor its words."""
    writers = (row.author_id for row in rows if row.deleted_at is None)
    people = authors(session, writers, known=known)
    return [
        {
            "id": row.id,
            "author": None if row.deleted_at else people.get(row.author_id or 0),
            "body": None if row.deleted_at else row.body,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
            "deleted": row.deleted_at is not None,
            "hidden": row.hidden_at is not None,
        }
        for row in rows
    ]


def delete_in_place(session: Session, model: type[Comment] | type[Post], row_id: int) -> bool:
    """Deletes a comment or post where it stands (its words gone, its place kept); False
    when it was deleted already, so that deleting again changes nothing."""
    deleted = session.execute(
        sa.update(model)
        .where(col(model.id) == row_id, col(model.deleted_at).is_(None))
        .values(deleted_at=utcnow(), body=""),
        execution_options=NO_SYNC,
    )
    return rows_affected(deleted) > 0
