"""recognition: the activity log of contributions, per-period point totals, badges and awards

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.CheckConstraint("kind IN ('submission', 'vote', 'comment', 'post', 'thread', 'idea', 'event_attended', 'task_done', 'project_update', 'mentorship_completed', 'challenge_win')", name=op.f('ck_activities_kind_known')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_activities_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities')),
    sa.UniqueConstraint('kind', 'source_id', 'member_id', name=op.f('uq_activities_kind_source_id_member_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_member_id_kind', ['member_id', 'kind'], unique=False)
        batch_op.create_index('ix_activities_member_id_occurred_at_kind_week_start', ['member_id', 'occurred_at', 'kind', 'week_start'], unique=False)
        batch_op.create_index('ix_activities_occurred_at_member_id_kind_week_start', ['occurred_at', 'member_id', 'kind', 'week_start'], unique=False)

    op.create_table('badges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=False),
    sa.Column('awarded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('awarded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(kind = 'award') = (code IS NULL)", name=op.f('ck_badges_code_for_automatic')),
    sa.CheckConstraint("kind IN ('automatic', 'award')", name=op.f('ck_badges_kind_known')),
    sa.ForeignKeyConstraint(['awarded_by_id'], ['members.id'], name=op.f('fk_badges_awarded_by_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_badges_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badges')),
    sa.UniqueConstraint('member_id', 'code', name=op.f('uq_badges_member_id_code')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('badges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_badges_awarded_by_id'), ['awarded_by_id'], unique=False)
        batch_op.create_index('ix_badges_code', ['code'], unique=False)
        batch_op.create_index('ix_badges_member_id_id', ['member_id', 'id'], unique=False)

    op.create_table('member_points',
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.CheckConstraint("period_kind IN ('week', 'month', 'all')", name=op.f('ck_member_points_period_kind_known')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_points_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('period_kind', 'period_start', 'member_id', name=op.f('pk_member_points'))
    )
    with op.batch_alter_table('member_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_points_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_member_points_period_kind_period_start_points_member_id', ['period_kind', 'period_start', 'points', 'member_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('member_points', schema=None) as batch_op:
        batch_op.drop_index('ix_member_points_period_kind_period_start_points_member_id')
        batch_op.drop_index(batch_op.f('ix_member_points_member_id'))

    op.drop_table('member_points')
    with op.batch_alter_table('badges', schema=None) as batch_op:
        batch_op.drop_index('ix_badges_member_id_id')
        batch_op.drop_index('ix_badges_code')
        batch_op.drop_index(batch_op.f('ix_badges_awarded_by_id'))

    op.drop_table('badges')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_occurred_at_member_id_kind_week_start')
        batch_op.drop_index('ix_activities_member_id_occurred_at_kind_week_start')
        batch_op.drop_index('ix_activities_member_id_kind')

    op.drop_table('activities')
