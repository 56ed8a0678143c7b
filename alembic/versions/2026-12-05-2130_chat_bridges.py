"""chat bridges: the community's Discord, Telegram, Slack or Matrix group

A bridge's target keeps its secret part (webhook URL, bot token, access token) encrypted
with a key derived from the secret key; its event types are `chat_bridge_subscriptions`.
Its deliveries go through the webhook outbox: `webhook_deliveries` gets `chat_bridge_id`
beside `webhook_id`, exactly one of them set (existing rows all name a webhook).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('chat_bridges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('target', sa.JSON(), nullable=False),
    sa.Column('secret_ciphertext', sa.LargeBinary(), nullable=False),
    sa.Column('secret_hint', sa.String(length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=200), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('discord', 'telegram', 'slack', 'matrix')", name=op.f('ck_chat_bridges_kind_known')),
    sa.CheckConstraint("locale IN ('id', 'en')", name=op.f('ck_chat_bridges_locale_known')),
    sa.CheckConstraint('consecutive_failures >= 0', name=op.f('ck_chat_bridges_failures_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['members.id'], name=op.f('fk_chat_bridges_created_by_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_bridges')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('chat_bridges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_bridges_created_by_id'), ['created_by_id'], unique=False)

    op.create_table('chat_bridge_subscriptions',
    sa.Column('chat_bridge_id', sa.Integer(), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['chat_bridge_id'], ['chat_bridges.id'], name=op.f('fk_chat_bridge_subscriptions_chat_bridge_id_chat_bridges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('chat_bridge_id', 'event_type', name=op.f('pk_chat_bridge_subscriptions'))
    )
    with op.batch_alter_table('chat_bridge_subscriptions', schema=None) as batch_op:
        batch_op.create_index('ix_chat_bridge_subscriptions_event_type', ['event_type'], unique=False)

    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chat_bridge_id', sa.Integer(), nullable=True))
        batch_op.alter_column('webhook_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index('ix_webhook_deliveries_chat_bridge_id_id', ['chat_bridge_id', 'id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_webhook_deliveries_chat_bridge_id_chat_bridges'), 'chat_bridges', ['chat_bridge_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(batch_op.f('ck_webhook_deliveries_one_receiver'), '(webhook_id IS NULL) != (chat_bridge_id IS NULL)')


def downgrade() -> None:
    # Bridge deliveries cannot stay once webhook_id is required again.
    op.execute('DELETE FROM webhook_deliveries WHERE chat_bridge_id IS NOT NULL')
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_webhook_deliveries_one_receiver'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_webhook_deliveries_chat_bridge_id_chat_bridges'), type_='foreignkey')
        batch_op.drop_index('ix_webhook_deliveries_chat_bridge_id_id')
        batch_op.alter_column('webhook_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('chat_bridge_id')

    with op.batch_alter_table('chat_bridge_subscriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_bridge_subscriptions_event_type')

    op.drop_table('chat_bridge_subscriptions')
    with op.batch_alter_table('chat_bridges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_bridges_created_by_id'))

    op.drop_table('chat_bridges')
