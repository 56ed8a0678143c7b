"""search terms: on SQLite, every term of the index in a table, so a typed prefix becomes the
terms it begins

FTS5 answers a prefix longer than its prefix index (2 to 4 letters) by merging, in memory,
the whole doclists of every term it begins, before returning a single row: a word in most
documents costs a pass over most of the index on every keystroke. With the terms in a
B-tree, the search turns such a prefix into those few terms and FTS5 walks their doclists
newest first, stopping at the page's bound (app/search/service.py). The table is kept by
the triggers that keep the FTS5 table (each row's terms split with `json_each`; terms are
letters and digits only); a term is never removed (one that no longer matches anything
only costs a lookup). The existing terms are read from the FTS5 index itself (`fts5vocab`).
PostgreSQL needs nothing: its GIN index reads a prefix's terms in order.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 03:00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FTS_VALUES = (
    "new.id, new.title_terms, new.body_terms, new.doc_type"
    " || CASE WHEN new.public_from IS NULL THEN '' ELSE ' public' END"
    " || CASE WHEN new.members_from IS NULL THEN '' ELSE ' members' END"
)
_FTS_INSERT = f'INSERT INTO search_fts (rowid, title, body, access) VALUES ({_FTS_VALUES});'
# Not `INSERT OR IGNORE`: an upsert that updates the row (the indexer's write) makes the
# trigger's statements abort on a conflict whatever they say, so only new terms are inserted.
_TERMS_INSERT = (
    'INSERT INTO search_fts_terms (term) SELECT DISTINCT value FROM json_each('
    """'["' || replace(new.title_terms || ' ' || new.body_terms, ' ', '","') || '"]'"""
    ") WHERE value <> '' AND value NOT IN (SELECT term FROM search_fts_terms);"
)


def _triggers(terms: bool) -> list[str]:
    insert = _FTS_INSERT + (' ' + _TERMS_INSERT if terms else '')
    return [
        'DROP TRIGGER search_documents_fts_insert',
        'DROP TRIGGER search_documents_fts_update',
        f'CREATE TRIGGER search_documents_fts_insert AFTER INSERT ON search_documents BEGIN {insert} END',
        'CREATE TRIGGER search_documents_fts_update AFTER UPDATE ON search_documents BEGIN '
        f'DELETE FROM search_fts WHERE rowid = old.id; {insert} END',
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        return
    op.execute('CREATE TABLE search_fts_terms (term TEXT PRIMARY KEY) WITHOUT ROWID')
    op.execute("CREATE VIRTUAL TABLE temp.search_fts_vocab USING fts5vocab(main, search_fts, 'col')")
    op.execute(
        "INSERT OR IGNORE INTO search_fts_terms (term) "
        "SELECT term FROM temp.search_fts_vocab WHERE col IN ('title', 'body')"
    )
    op.execute('DROP TABLE temp.search_fts_vocab')
    for statement in _triggers(terms=True):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        return
    for statement in _triggers(terms=False):
        op.execute(statement)
    op.execute('DROP TABLE search_fts_terms')
