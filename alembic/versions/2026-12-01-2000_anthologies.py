"""anthologies: anthologies and their entries (chosen works in order, with editor's notes)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('anthologies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('book_uuid', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.String(length=10000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'published')", name=op.f('ck_anthologies_status_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['members.id'], name=op.f('fk_anthologies_created_by_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_anthologies')),
    sa.UniqueConstraint('book_uuid', name=op.f('uq_anthologies_book_uuid')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('anthologies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_anthologies_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index('ix_anthologies_status_id', ['status', 'id'], unique=False)

    op.create_table('anthology_entries',
    sa.Column('anthology_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('editor_note', sa.String(length=2000), nullable=False),
    sa.CheckConstraint('position >= 0', name=op.f('ck_anthology_entries_position_not_negative')),
    sa.ForeignKeyConstraint(['anthology_id'], ['anthologies.id'], name=op.f('fk_anthology_entries_anthology_id_anthologies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_anthology_entries_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('anthology_id', 'submission_id', name=op.f('pk_anthology_entries')),
    sa.UniqueConstraint('anthology_id', 'position', name=op.f('uq_anthology_entries_anthology_id_position'))
    )
    with op.batch_alter_table('anthology_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_anthology_entries_submission_id'), ['submission_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('anthology_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_anthology_entries_submission_id'))

    op.drop_table('anthology_entries')
    with op.batch_alter_table('anthologies', schema=None) as batch_op:
        batch_op.drop_index('ix_anthologies_status_id')
        batch_op.drop_index(batch_op.f('ix_anthologies_created_by_id'))

    op.drop_table('anthologies')
