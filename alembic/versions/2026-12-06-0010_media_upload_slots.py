"""media_upload_slots: the uploads a member has in progress, a bounded number at a time

A slot is a row (member, number below `SANGGAR_MEDIA_MAX_CONCURRENT_UPLOADS`); an upload
takes one before reading its body and gives it back when it ends. `held_until` lets a slot
lapse when the process holding it died.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('media_upload_slots',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('held_until', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_media_upload_slots_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'slot', name=op.f('pk_media_upload_slots'))
    )


def downgrade() -> None:
    op.drop_table('media_upload_slots')
