"""mail: an outbox of messages sent through the webhook deliveries, settings and digests

`mail_messages` holds what to render (template, locale, context) and for whom; its delivery
is a `webhook_deliveries` row naming it (`mail_message_id`, a third receiver beside
`webhook_id` and `chat_bridge_id`, exactly one of them set). `mail_settings` keeps a
member's mail choices (only what differs from the defaults); `mail_digests` is the key
(member, ISO week) that makes the weekly digest once per member and week.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 22:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_RECEIVER = (
    "(CASE WHEN webhook_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN chat_bridge_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN mail_message_id IS NULL THEN 0 ELSE 1 END) = 1"
)


def upgrade() -> None:
    op.create_table('mail_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('unsubscribe_kind', sa.String(length=64), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('context', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scrubbed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("locale IN ('id', 'en')", name=op.f('ck_mail_messages_locale_known')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_mail_messages_member_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_messages')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_messages_member_id'), ['member_id'], unique=False)

    op.create_table('mail_settings',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=8), nullable=False),
    sa.Column('email', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("digest IN ('weekly', 'off')", name=op.f('ck_mail_settings_digest_known')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_mail_settings_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_mail_settings'))
    )

    op.create_table('mail_digests',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_mail_digests_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'week', name=op.f('pk_mail_digests'))
    )
    with op.batch_alter_table('mail_digests', schema=None) as batch_op:
        batch_op.create_index('ix_mail_digests_week', ['week'], unique=False)

    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mail_message_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_webhook_deliveries_one_receiver'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_webhook_deliveries_one_receiver'), ONE_RECEIVER)
        batch_op.create_unique_constraint(batch_op.f('uq_webhook_deliveries_mail_message_id'), ['mail_message_id'])
        batch_op.create_foreign_key(batch_op.f('fk_webhook_deliveries_mail_message_id_mail_messages'), 'mail_messages', ['mail_message_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    # Mail deliveries cannot stay once a delivery names a webhook or a chat bridge again.
    op.execute('DELETE FROM webhook_deliveries WHERE mail_message_id IS NOT NULL')
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_webhook_deliveries_mail_message_id_mail_messages'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_webhook_deliveries_mail_message_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('ck_webhook_deliveries_one_receiver'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_webhook_deliveries_one_receiver'), '(webhook_id IS NULL) != (chat_bridge_id IS NULL)')
        batch_op.drop_column('mail_message_id')

    with op.batch_alter_table('mail_digests', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_digests_week')

    op.drop_table('mail_digests')
    op.drop_table('mail_settings')
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_messages_member_id'))

    op.drop_table('mail_messages')
