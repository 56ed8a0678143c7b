"""contribution_counts: each member's number of activities per kind, counted from the
activities already recorded and kept as they are recorded and taken back (on SQLite by the
triggers below; on PostgreSQL by app.recognition.service's statements), so a badge earned
by a count costs no statement until the count reaches it

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0030'
down_revision: str | None = '0029'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_BACKFILL = (
    'INSERT INTO contribution_counts (member_id, kind, count) '
    'SELECT member_id, kind, count(*) FROM activities GROUP BY member_id, kind'
)

# SQLite: the activity's own statement moves the count (no statement more per contribution).
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER activities_counted AFTER INSERT ON activities BEGIN "
    "INSERT INTO contribution_counts (member_id, kind, count) VALUES (new.member_id, new.kind, 1) "
    "ON CONFLICT (member_id, kind) DO UPDATE SET count = count + 1; END",
    "CREATE TRIGGER activities_uncounted AFTER DELETE ON activities BEGIN "
    "UPDATE contribution_counts SET count = count - 1 "
    "WHERE member_id = old.member_id AND kind = old.kind; END",
)
_SQLITE_TRIGGER_NAMES = ('activities_counted', 'activities_uncounted')


def upgrade() -> None:
    op.create_table('contribution_counts',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.CheckConstraint('count >= 0', name=op.f('ck_contribution_counts_count_not_negative')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_contribution_counts_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'kind', name=op.f('pk_contribution_counts'))
    )
    op.execute(_BACKFILL)
    if op.get_bind().dialect.name == 'sqlite':
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for name in _SQLITE_TRIGGER_NAMES:  # on activities: they would outlive the table
            op.execute(f'DROP TRIGGER {name}')
    op.drop_table('contribution_counts')
