"""The search index: one row per thing that can be found (app/search keeps it).

`title_terms` and `body_terms` are the folded words and their stems (app/search/text.py),
the same on both databases. The matching structure is dialect-specific and kept by the
database itself from these columns, so it can never disagree with them: on SQLite an FTS5
table `search_fts` (rowid = id) filled by triggers, on PostgreSQL a generated `tsvector`
column `document` with a GIN index (built-in `indonesian` and `english` configurations over
the unaccented text, plus `simple` over the terms). Both are made by migration 0017 and left
out of the models (alembic/env.py skips them when comparing).

Who may find a row: anonymous visitors once `public_from` has passed, members once
`members_from` has passed (NULL: never), organizers and admins every row. A row that nobody
but its author may see (hidden, deleted, a deactivated member) is not in the index at all.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import created_at_field, one_of, timestamp_field


class SearchType(StrEnum):
    MEMBER = "member"
    SUBMISSION = "submission"
    THREAD = "thread"
    POST = "post"
    EVENT = "event"
    PROJECT = "project"
    IDEA = "idea"


class SearchDocument(SQLModel, table=True):
    __tablename__ = "search_documents"
    __table_args__ = (
        sa.UniqueConstraint("doc_type", "doc_id"),
        sa.CheckConstraint(one_of("doc_type", SearchType), name="doc_type_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    doc_type: str = Field(max_length=16)
    doc_id: int
    public_from: datetime | None = timestamp_field()
    members_from: datetime | None = timestamp_field()
    title: str = Field(sa_type=sa.Text)
    body: str = Field(sa_type=sa.Text)
    title_terms: str = Field(sa_type=sa.Text)
    body_terms: str = Field(sa_type=sa.Text)
    updated_at: datetime = created_at_field()
