"""search: one index of what can be found (members, works, threads, posts, events,
projects, ideas)

`search_documents` holds each findable row's text, its folded words and stems, and who may
find it. Matching is kept by the database from those columns: on PostgreSQL a generated
`tsvector` (built-in `indonesian` and `english` configurations over the unaccented text —
`unaccent` wrapped in an IMMUTABLE function, as generated columns require — plus `simple`
over the stems computed in Python) with a GIN index; on SQLite an FTS5 table kept by
triggers. Rows that exist before this migration are indexed by `sanggar search-reindex`
(the migration imports no app code).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_UNACCENT = """
CREATE OR REPLACE FUNCTION sanggar_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
"""


def _pg_part(text: str, terms: str, weight: str) -> str:
    return (
        f"setweight(to_tsvector('simple'::regconfig, {terms})"
        f" || to_tsvector('indonesian'::regconfig, sanggar_unaccent({text}))"
        f" || to_tsvector('english'::regconfig, sanggar_unaccent({text})), '{weight}')"
    )


_PG_DOCUMENT = (
    "ALTER TABLE search_documents ADD COLUMN document tsvector GENERATED ALWAYS AS ("
    + _pg_part("title", "title_terms", "A")
    + " || "
    + _pg_part("body", "body_terms", "B")
    + ") STORED"
)

_SQLITE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3 4')",
    "CREATE TRIGGER search_documents_fts_insert AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts (rowid, title, body) "
    "VALUES (new.id, new.title_terms, new.body_terms); END",
    "CREATE TRIGGER search_documents_fts_update AFTER UPDATE ON search_documents BEGIN "
    "DELETE FROM search_fts WHERE rowid = old.id; "
    "INSERT INTO search_fts (rowid, title, body) "
    "VALUES (new.id, new.title_terms, new.body_terms); END",
    "CREATE TRIGGER search_documents_fts_delete AFTER DELETE ON search_documents BEGIN "
    "DELETE FROM search_fts WHERE rowid = old.id; END",
)


def upgrade() -> None:
    op.create_table('search_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('doc_type', sa.String(length=16), nullable=False),
    sa.Column('doc_id', sa.Integer(), nullable=False),
    sa.Column('public_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('members_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('title_terms', sa.Text(), nullable=False),
    sa.Column('body_terms', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("doc_type IN ('member', 'submission', 'thread', 'post', 'event', 'project', 'idea')", name=op.f('ck_search_documents_doc_type_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents')),
    sa.UniqueConstraint('doc_type', 'doc_id', name=op.f('uq_search_documents_doc_type_doc_id'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public')
        op.execute(_PG_UNACCENT)
        op.execute(_PG_DOCUMENT)
        op.execute('CREATE INDEX ix_search_documents_document ON search_documents USING gin (document)')
    else:
        for statement in _SQLITE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_table('search_documents')
        op.execute('DROP FUNCTION IF EXISTS sanggar_unaccent(text)')
        # The extension stays: other things may use it, and dropping it needs more rights.
    else:
        op.execute('DROP TABLE IF EXISTS search_fts')
        op.drop_table('search_documents')  # its triggers go with it
