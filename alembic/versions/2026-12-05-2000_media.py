"""media: uploaded files, their owners' quota, works' files, avatars and covers

Uploads live in the media storage; these rows say whose they are, what they are, how far
their processing went and what they are attached to. Covers and avatars are set null when
their media row goes (the janitor removes only unattached media, so that is a safety net).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('blurhash', sa.String(length=64), nullable=True),
    sa.Column('alt_text', sa.String(length=1000), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('failure_reason', sa.String(length=300), nullable=True),
    sa.Column('variants', sa.JSON(), nullable=True),
    sa.Column('processing_attempts', sa.Integer(), nullable=False),
    sa.Column('leased_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_token', sa.String(length=32), nullable=True),
    sa.Column('attached_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('image', 'audio', 'video', 'document')", name=op.f('ck_media_kind_known')),
    sa.CheckConstraint("status IN ('processing', 'ready', 'failed')", name=op.f('ck_media_status_known')),
    sa.CheckConstraint('bytes >= 0', name=op.f('ck_media_bytes_not_negative')),
    sa.ForeignKeyConstraint(['owner_id'], ['members.id'], name=op.f('fk_media_owner_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_media_storage_key')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.create_index('ix_media_deleted_at', ['deleted_at'], unique=False, sqlite_where=sa.text('deleted_at IS NOT NULL'), postgresql_where=sa.text('deleted_at IS NOT NULL'))
        batch_op.create_index('ix_media_owner_id_id', ['owner_id', 'id'], unique=False)
        batch_op.create_index('ix_media_processing', ['id'], unique=False, sqlite_where=sa.text("status = 'processing' AND deleted_at IS NULL"), postgresql_where=sa.text("status = 'processing' AND deleted_at IS NULL"))
        batch_op.create_index('ix_media_unattached_created_at', ['created_at'], unique=False, sqlite_where=sa.text('attached_at IS NULL AND deleted_at IS NULL'), postgresql_where=sa.text('attached_at IS NULL AND deleted_at IS NULL'))

    op.create_table('media_usage',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('bytes >= 0', name=op.f('ck_media_usage_bytes_not_negative')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_media_usage_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_media_usage'))
    )
    op.create_table('submission_media',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('position >= 0 AND position < 10', name=op.f('ck_submission_media_position_in_range')),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_submission_media_media_id_media'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_submission_media_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', 'position', name=op.f('pk_submission_media')),
    sa.UniqueConstraint('submission_id', 'media_id', name=op.f('uq_submission_media_submission_id_media_id'))
    )
    with op.batch_alter_table('submission_media', schema=None) as batch_op:
        batch_op.create_index('ix_submission_media_media_id', ['media_id'], unique=False)

    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover_media_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_challenges_cover_media_id'), ['cover_media_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_challenges_cover_media_id_media'), 'media', ['cover_media_id'], ['id'], ondelete='SET NULL', use_alter=True)

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover_media_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_events_cover_media_id'), ['cover_media_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_events_cover_media_id_media'), 'media', ['cover_media_id'], ['id'], ondelete='SET NULL', use_alter=True)

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('avatar_media_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_members_avatar_media_id'), ['avatar_media_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_members_avatar_media_id_media'), 'media', ['avatar_media_id'], ['id'], ondelete='SET NULL', use_alter=True)

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover_media_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_projects_cover_media_id'), ['cover_media_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_projects_cover_media_id_media'), 'media', ['cover_media_id'], ['id'], ondelete='SET NULL', use_alter=True)



def downgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_projects_cover_media_id_media'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_projects_cover_media_id'))
        batch_op.drop_column('cover_media_id')

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_members_avatar_media_id_media'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_members_avatar_media_id'))
        batch_op.drop_column('avatar_media_id')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_events_cover_media_id_media'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_events_cover_media_id'))
        batch_op.drop_column('cover_media_id')

    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_challenges_cover_media_id_media'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_challenges_cover_media_id'))
        batch_op.drop_column('cover_media_id')

    with op.batch_alter_table('submission_media', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_media_media_id')

    op.drop_table('submission_media')
    op.drop_table('media_usage')
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_index('ix_media_unattached_created_at', sqlite_where=sa.text('attached_at IS NULL AND deleted_at IS NULL'), postgresql_where=sa.text('attached_at IS NULL AND deleted_at IS NULL'))
        batch_op.drop_index('ix_media_processing', sqlite_where=sa.text("status = 'processing' AND deleted_at IS NULL"), postgresql_where=sa.text("status = 'processing' AND deleted_at IS NULL"))
        batch_op.drop_index('ix_media_owner_id_id')
        batch_op.drop_index('ix_media_deleted_at', sqlite_where=sa.text('deleted_at IS NOT NULL'), postgresql_where=sa.text('deleted_at IS NOT NULL'))

    op.drop_table('media')
