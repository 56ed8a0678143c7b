"""search span index: on PostgreSQL, the GIN index also holds the id, and the index's terms
are kept in a table as on SQLite

A word in a few percent of the documents has its newest matches spread over tens of
thousands of rows: walking them one by one, or reading the word's whole posting list from
a GIN index of the tsvector alone, costs tens of milliseconds whatever the page needs. With
the id in the GIN index (btree_gin), a scan for a span of ids reads only that span's part
of each posting list. A prefix (`'bad':*`) would still make GIN collect every posting of
every term it begins, so a typed prefix becomes the terms it begins (search_fts_terms, as
on SQLite since migration 0025), kept by a trigger.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 03:40:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A row's terms (letters and digits, separated by single spaces).
_TERMS = "unnest(string_to_array({row}title_terms || ' ' || {row}body_terms, ' ')) AS term"


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS btree_gin')
    op.execute('DROP INDEX ix_search_documents_document')
    op.execute('CREATE INDEX ix_search_documents_document ON search_documents USING gin (id, document)')
    op.execute('CREATE TABLE search_fts_terms (term text COLLATE "C" PRIMARY KEY)')
    op.execute(
        'INSERT INTO search_fts_terms (term) SELECT DISTINCT term '
        f"FROM search_documents, {_TERMS.format(row='')} WHERE term <> ''"
    )
    op.execute(
        'CREATE FUNCTION search_fts_terms_add() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
        f"INSERT INTO search_fts_terms (term) SELECT DISTINCT term FROM {_TERMS.format(row='new.')} "
        "WHERE term <> '' ON CONFLICT DO NOTHING; "
        'RETURN NULL; END $$'
    )
    op.execute(
        'CREATE TRIGGER search_documents_terms AFTER INSERT OR UPDATE OF title_terms, body_terms '
        'ON search_documents FOR EACH ROW EXECUTE FUNCTION search_fts_terms_add()'
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP TRIGGER search_documents_terms ON search_documents')
    op.execute('DROP FUNCTION search_fts_terms_add()')
    op.execute('DROP TABLE search_fts_terms')
    op.execute('DROP INDEX ix_search_documents_document')
    op.execute('CREATE INDEX ix_search_documents_document ON search_documents USING gin (document)')
