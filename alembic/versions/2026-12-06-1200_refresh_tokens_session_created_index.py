"""refresh_tokens: one index on (session_id, created_at) instead of session_id alone, for
the weekly digest's "refreshed a log-in this week" check (app.mail.digest._active_since)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_refresh_tokens_session_id_created_at', ['session_id', 'created_at'], unique=False)
        batch_op.drop_index(batch_op.f('ix_refresh_tokens_session_id'))


def downgrade() -> None:
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refresh_tokens_session_id'), ['session_id'], unique=False)
        batch_op.drop_index('ix_refresh_tokens_session_id_created_at')
