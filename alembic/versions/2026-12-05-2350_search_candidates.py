"""search candidates: who may find a row and its kind, where the index reads matches newest
first

A search ranks at most a bounded number of the newest matches (app/search/service.py). To
take them without reading rows the caller may not see, each database filters them where it
walks the matches: on SQLite the FTS5 table gains an `access` column holding the row's kind
and its audiences (`public`, `members`), matched together with the words; on PostgreSQL a
partial index on `id` over the rows anonymous visitors may find lets their searches walk
only those. The FTS5 table is rebuilt from `search_documents` in one statement.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 23:50:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TRIGGERS = ('search_documents_fts_insert', 'search_documents_fts_update', 'search_documents_fts_delete')


def _sqlite_schema(access: bool) -> list[str]:
    columns = 'title, body, access' if access else 'title, body'
    values = (
        "new.id, new.title_terms, new.body_terms, new.doc_type"
        " || CASE WHEN new.public_from IS NULL THEN '' ELSE ' public' END"
        " || CASE WHEN new.members_from IS NULL THEN '' ELSE ' members' END"
        if access
        else 'new.id, new.title_terms, new.body_terms'
    )
    insert = f'INSERT INTO search_fts (rowid, {columns}) VALUES ({values});'
    return [
        *(f'DROP TRIGGER IF EXISTS {name}' for name in _TRIGGERS),
        'DROP TABLE IF EXISTS search_fts',
        f"CREATE VIRTUAL TABLE search_fts USING fts5({columns}, "
        "tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3 4')",
        f'CREATE TRIGGER search_documents_fts_insert AFTER INSERT ON search_documents BEGIN {insert} END',
        'CREATE TRIGGER search_documents_fts_update AFTER UPDATE ON search_documents BEGIN '
        f'DELETE FROM search_fts WHERE rowid = old.id; {insert} END',
        'CREATE TRIGGER search_documents_fts_delete AFTER DELETE ON search_documents BEGIN '
        'DELETE FROM search_fts WHERE rowid = old.id; END',
        # Every existing row, in one pass (the triggers' own expression over the table).
        f'INSERT INTO search_fts (rowid, {columns}) SELECT {values.replace("new.", "")} FROM search_documents',
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            'CREATE INDEX ix_search_documents_public ON search_documents (id) '
            'WHERE public_from IS NOT NULL'
        )
    else:
        for statement in _sqlite_schema(access=True):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX ix_search_documents_public')
    else:
        for statement in _sqlite_schema(access=False):
            op.execute(statement)
