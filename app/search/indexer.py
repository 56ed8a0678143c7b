"""The one indexer: every write to something findable changes its search row in the same
transaction, whichever feature made it and however (an ORM change, a bulk UPDATE, a DELETE).

Why session hooks rather than a domain event per write: search must follow *every* change
of a title, a body, a status or a moderation flag, in seven features and dozens of write
paths (edits, hiding after a report, soft deletes, erasure, cascades). An event forgotten on
one path would leave a hidden post findable. SQLAlchemy tells us of each ORM change
(`after_flush`) and of each bulk statement before it runs (`do_orm_execute`), so the indexer
notes the rows concerned as they change and, just before the transaction commits, reads
each of them back and writes its search row (or removes it) — atomically with the change,
without scanning anything and without any feature importing this package. Statements a
feature sends as raw SQL text are not seen; none of the findable tables is written that way.

A row is re-read rather than taken from the change, so every path (a bulk counter update
too) ends in the same document. Only the columns that make the document (`_WATCHED`) count:
a vote or a reply counter moving does not touch the index.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import SQLModel

from app.core.clock import utcnow
from app.core.db import upsert_insert
from app.models import (
    Challenge,
    Event,
    EventStatus,
    Idea,
    Member,
    Post,
    Project,
    SearchDocument,
    SearchType,
    Submission,
    Thread,
)
from app.search import text

# "Always" for the visibility columns: before anything this service ever stored.
ALWAYS = datetime(2000, 1, 1, tzinfo=UTC)
_PENDING = "sanggar_search_pending"

_TYPE_OF: dict[type[SQLModel], SearchType] = {
    Member: SearchType.MEMBER,
    Submission: SearchType.SUBMISSION,
    Thread: SearchType.THREAD,
    Post: SearchType.POST,
    Event: SearchType.EVENT,
    Project: SearchType.PROJECT,
    Idea: SearchType.IDEA,
}
# The columns a document is made of (its text and who may see it).
_WATCHED: dict[type[SQLModel], frozenset[str]] = {
    Member: frozenset({"display_name", "handle", "bio", "city", "hidden_at", "is_active"}),
    Submission: frozenset(
        {"title", "description", "content", "hidden_at", "disqualified", "challenge_id"}
    ),
    Thread: frozenset({"title", "body", "hidden_at"}),
    Post: frozenset({"body", "deleted_at", "hidden_at", "thread_id"}),
    Event: frozenset({"title", "description", "status", "venue", "city"}),
    Project: frozenset({"title", "summary"}),
    Idea: frozenset({"title", "body", "hidden_at"}),
}
# A parent whose change changes its children's documents: (child type, child FK column).
_CHILDREN: dict[type[SQLModel], tuple[tuple[SearchType, Any], frozenset[str]]] = {
    Challenge: (
        (SearchType.SUBMISSION, Submission.challenge_id),
        frozenset({"published", "voting_close_at"}),
    ),
    Thread: ((SearchType.POST, Post.thread_id), frozenset({"title", "hidden_at"})),
    # Works go with their author's row (ON DELETE CASCADE); profile edits leave them alone.
    Member: ((SearchType.SUBMISSION, Submission.member_id), frozenset()),
}
_MODELS: list[type[SQLModel]] = [*_TYPE_OF, Challenge]
_BY_TABLE: dict[str, type[SQLModel]] = {str(model.__tablename__): model for model in _MODELS}


@dataclass(frozen=True)
class Document:
    doc_type: SearchType
    doc_id: int
    public_from: datetime | None
    members_from: datetime | None
    title: str
    body: str
    index_title: bool = True  # a post shows its thread's title but is not found by it


# --- noting what changed ---------------------------------------------------------------------


def _pending(session: OrmSession) -> dict[SearchType, set[int]]:
    found: dict[SearchType, set[int]] = session.info.setdefault(_PENDING, {})
    return found


def note(session: OrmSession, doc_type: SearchType, ids: Iterable[int]) -> None:
    """Marks rows whose documents must be rebuilt before the transaction commits."""
    ids = set(ids)
    if ids:
        _pending(session).setdefault(doc_type, set()).update(ids)


def _children_of(
    session: OrmSession, model: type[SQLModel], parent_ids: Iterable[int]
) -> tuple[SearchType, list[int]]:
    (child_type, fk), _ = _CHILDREN[model]
    parent_ids = list(parent_ids)
    ids = session.connection().execute(sa.select(fk.table.c.id).where(fk.in_(parent_ids)))
    return child_type, list(ids.scalars())


def _changed(instance: Any, columns: frozenset[str]) -> bool:
    state = sa.inspect(instance)
    return any(state.attrs[name].history.has_changes() for name in columns)


@event.listens_for(OrmSession, "before_flush")
def _before_flush(session: OrmSession, _context: Any, _instances: Any) -> None:
    # Children deleted by ON DELETE CASCADE are gone after the flush: note them now.
    for instance in session.deleted:
        model = type(instance)
        if model in _CHILDREN and instance.id is not None:
            note(session, *_children_of(session, model, [instance.id]))


@event.listens_for(OrmSession, "after_flush")
def _after_flush(session: OrmSession, _context: Any) -> None:
    for instance in session.new:
        doc_type = _TYPE_OF.get(type(instance))
        if doc_type is not None:
            note(session, doc_type, [instance.id])
    for instance in session.deleted:
        doc_type = _TYPE_OF.get(type(instance))
        if doc_type is not None:
            note(session, doc_type, [instance.id])
    for instance in session.dirty:
        model = type(instance)
        doc_type = _TYPE_OF.get(model)
        if doc_type is not None and _changed(instance, _WATCHED[model]):
            note(session, doc_type, [instance.id])
        if model in _CHILDREN and _CHILDREN[model][1] and _changed(instance, _CHILDREN[model][1]):
            note(session, *_children_of(session, model, [instance.id]))


@event.listens_for(OrmSession, "do_orm_execute")
def _bulk_statement(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    model = _BY_TABLE.get(getattr(table, "name", ""))
    if model is None or table is None:
        return
    session = state.session
    parameters = state.parameters
    if isinstance(parameters, list | tuple):
        # An ORM bulk UPDATE/DELETE by primary key: one parameter set per row.
        ids = [p["id"] for p in parameters if isinstance(p, dict) and "id" in p]
        columns = {key for p in parameters if isinstance(p, dict) for key in p}
        if model in _TYPE_OF and (state.is_delete or columns & _WATCHED[model]):
            note(session, _TYPE_OF[model], ids)
        if model in _CHILDREN and ids and (state.is_delete or columns & _CHILDREN[model][1]):
            note(session, *_children_of(session, model, ids))
        return
    if state.is_update:
        values = getattr(state.statement, "_values", None) or {}
        columns = {getattr(key, "key", key) for key in values}
        own = bool(columns & _WATCHED.get(model, frozenset()))
        children = model in _CHILDREN and bool(columns & _CHILDREN[model][1])
        if not (own or children):
            return
    else:
        own, children = model in _TYPE_OF, model in _CHILDREN
    where = getattr(state.statement, "whereclause", None)
    select = sa.select(table.c.id)
    if where is not None:
        select = select.where(where)
    ids = list(session.connection().execute(select, parameters or {}).scalars())
    if own:
        note(session, _TYPE_OF[model], ids)
    if children and ids:
        note(session, *_children_of(session, model, ids))


@event.listens_for(OrmSession, "before_commit")
def _before_commit(session: OrmSession) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # before the commit's own flush: what it writes is noted now
    if not session.info.get(_PENDING):
        return
    pending = session.info.pop(_PENDING, {})
    for doc_type, ids in pending.items():
        refresh(session, doc_type, ids)


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_after_rollback(session: OrmSession, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


# --- reading rows back into documents -------------------------------------------------------


def refresh(session: OrmSession, doc_type: SearchType, ids: Iterable[int]) -> None:
    """Rebuilds the documents of these rows: written if someone may find the row, removed
    otherwise (hidden, deleted, gone)."""
    ids = sorted(set(ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        documents = _READERS[doc_type](session, chunk)
        write(session, documents)
        gone = set(chunk) - {d.doc_id for d in documents}
        if gone:
            table = SearchDocument.__table__  # type: ignore[attr-defined]
            session.connection().execute(
                table.delete().where(table.c.doc_type == doc_type, table.c.doc_id.in_(gone))
            )


def write(session: OrmSession, documents: list[Document]) -> None:
    if not documents:
        return
    table = SearchDocument.__table__  # type: ignore[attr-defined]
    now = utcnow()
    rows = [
        {
            "doc_type": d.doc_type.value,
            "doc_id": d.doc_id,
            "public_from": d.public_from,
            "members_from": d.members_from,
            "title": d.title,
            "body": d.body,
            "title_terms": text.index_terms(d.title) if d.index_title else "",
            "body_terms": text.index_terms(d.body),
            "updated_at": now,
        }
        for d in documents
    ]
    insert = upsert_insert(session, table)
    changed = {
        name: insert.excluded[name] for name in rows[0] if name not in ("doc_type", "doc_id")
    }
    session.connection().execute(
        insert.on_conflict_do_update(index_elements=["doc_type", "doc_id"], set_=changed),
        rows,
    )


# _PARENT_LOCK: a post's document depends on its thread, a work's on its challenge. On
# PostgreSQL another transaction may be hiding that parent (or unpublishing it) and may have
# already removed the child's row without having committed; reading the parent as it was
# would write the row back once that transaction commits. So the parent is read FOR SHARE:
# the read waits for such a transaction and then sees the parent as it left it (and a
# transaction that changes the parent later waits for this one, then rewrites the child).
# SQLite has one writer at a time and needs nothing.


def _rows(session: OrmSession, statement: Any) -> list[Any]:
    return list(session.connection().execute(statement))


def _members(session: OrmSession, ids: list[int]) -> list[Document]:
    m = Member.__table__  # type: ignore[attr-defined]
    rows = _rows(
        session,
        sa.select(m.c.id, m.c.handle, m.c.display_name, m.c.bio, m.c.city).where(
            m.c.id.in_(ids), m.c.is_active.is_(True), m.c.hidden_at.is_(None)
        ),
    )
    return [
        Document(
            SearchType.MEMBER,
            r.id,
            ALWAYS,
            ALWAYS,
            title=f"{r.display_name} (@{r.handle})",
            body="\n".join(part for part in (r.bio, r.city) if part),
        )
        for r in rows
    ]


def _submissions(session: OrmSession, ids: list[int]) -> list[Document]:
    s = Submission.__table__  # type: ignore[attr-defined]
    c = Challenge.__table__  # type: ignore[attr-defined]
    rows = _rows(
        session,
        sa.select(
            s.c.id,
            s.c.title,
            s.c.description,
            s.c.content,
            s.c.disqualified,
            c.c.published,
            c.c.voting_close_at,
        )
        .join(c, c.c.id == s.c.challenge_id)
        .where(s.c.id.in_(ids), s.c.hidden_at.is_(None))
        .with_for_update(read=True, of=c),  # see _PARENT_LOCK
    )
    documents = []
    for r in rows:
        # Members see the works of published challenges (disqualified ones flagged);
        # anonymous visitors once the challenge is closed, never a disqualified work.
        members = ALWAYS if r.published else None
        public = r.voting_close_at if r.published and not r.disqualified else None
        body = "\n".join(part for part in (r.description, r.content) if part)
        documents.append(Document(SearchType.SUBMISSION, r.id, public, members, r.title, body))
    return documents


def _threads(session: OrmSession, ids: list[int]) -> list[Document]:
    t = Thread.__table__  # type: ignore[attr-defined]
    rows = _rows(
        session,
        sa.select(t.c.id, t.c.title, t.c.body).where(t.c.id.in_(ids), t.c.hidden_at.is_(None)),
    )
    return [Document(SearchType.THREAD, r.id, None, ALWAYS, r.title, r.body) for r in rows]


def _posts(session: OrmSession, ids: list[int]) -> list[Document]:
    p = Post.__table__  # type: ignore[attr-defined]
    t = Thread.__table__  # type: ignore[attr-defined]
    rows = _rows(
        session,
        sa.select(p.c.id, p.c.body, t.c.title)
        .join(t, t.c.id == p.c.thread_id)
        .where(
            p.c.id.in_(ids),
            p.c.deleted_at.is_(None),
            p.c.hidden_at.is_(None),
            t.c.hidden_at.is_(None),
        )
        .with_for_update(read=True, of=t),  # see _PARENT_LOCK
    )
    return [
        Document(SearchType.POST, r.id, None, ALWAYS, r.title, r.body, index_title=False)
        for r in rows
    ]


def _events(session: OrmSession, ids: list[int]) -> list[Document]:
    e = Event.__table__  # type: ignore[attr-defined]
    rows = _rows(
        session,
        sa.select(e.c.id, e.c.title, e.c.description, e.c.venue, e.c.city, e.c.status).where(
            e.c.id.in_(ids)
        ),
    )
    documents = []
    for r in rows:
        # Drafts: organizers only; published and cancelled events: everyone.
        seen = None if r.status == EventStatus.DRAFT else ALWAYS
        body = "\n".join(part for part in (r.description, r.venue, r.city) if part)
        documents.append(Document(SearchType.EVENT, r.id, seen, seen, r.title, body))
    return documents


def _projects(session: OrmSession, ids: list[int]) -> list[Document]:
    p = Project.__table__  # type: ignore[attr-defined]
    rows = _rows(session, sa.select(p.c.id, p.c.title, p.c.summary).where(p.c.id.in_(ids)))
    return [Document(SearchType.PROJECT, r.id, None, ALWAYS, r.title, r.summary) for r in rows]


def _ideas(session: OrmSession, ids: list[int]) -> list[Document]:
    i = Idea.__table__  # type: ignore[attr-defined]
    rows = _rows(
        session,
        sa.select(i.c.id, i.c.title, i.c.body).where(i.c.id.in_(ids), i.c.hidden_at.is_(None)),
    )
    return [Document(SearchType.IDEA, r.id, None, ALWAYS, r.title, r.body) for r in rows]


_READERS = {
    SearchType.MEMBER: _members,
    SearchType.SUBMISSION: _submissions,
    SearchType.THREAD: _threads,
    SearchType.POST: _posts,
    SearchType.EVENT: _events,
    SearchType.PROJECT: _projects,
    SearchType.IDEA: _ideas,
}
_SOURCE_TABLE = {doc_type: model for model, doc_type in _TYPE_OF.items()}


def reindex(session: OrmSession, *, batch: int = 1000) -> dict[str, int]:
    """Rebuilds the whole index from the tables (`sanggar search-reindex`): after upgrading
    to the release that brought search, or to repair. Returns the documents per type."""
    table = SearchDocument.__table__  # type: ignore[attr-defined]
    session.connection().execute(table.delete())
    counts: dict[str, int] = {}
    for doc_type, model in _SOURCE_TABLE.items():
        source = model.__table__  # type: ignore[attr-defined]
        last = 0
        while True:
            ids = list(
                session.connection()
                .execute(
                    sa.select(source.c.id)
                    .where(source.c.id > last)
                    .order_by(source.c.id)
                    .limit(batch)
                )
                .scalars()
            )
            if not ids:
                break
            refresh(session, doc_type, ids)
            last = ids[-1]
        counts[doc_type.value] = (
            session.connection()
            .execute(
                sa.select(sa.func.count()).select_from(table).where(table.c.doc_type == doc_type)
            )
            .scalar_one()
        )
    return counts
