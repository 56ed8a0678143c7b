"""mail_messages.gather_key: a comment notification's mail, while it waits to be sent,
gathers the later comments on the same work for the same member (app.mail.outbox.gather)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('mail_messages', sa.Column('gather_key', sa.String(length=96), nullable=True))
    op.create_index('ix_mail_messages_gather_key_id', 'mail_messages', ['gather_key', 'id'], unique=False, sqlite_where=sa.text('gather_key IS NOT NULL AND scrubbed_at IS NULL'), postgresql_where=sa.text('gather_key IS NOT NULL AND scrubbed_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_mail_messages_gather_key_id', table_name='mail_messages', sqlite_where=sa.text('gather_key IS NOT NULL AND scrubbed_at IS NULL'), postgresql_where=sa.text('gather_key IS NOT NULL AND scrubbed_at IS NULL'))
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.drop_column('gather_key')
