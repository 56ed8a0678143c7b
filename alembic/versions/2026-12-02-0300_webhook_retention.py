"""webhook retention: indexes for the sweep that forgets finished deliveries and their events

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FINISHED = sa.text("status != 'pending'")


def upgrade() -> None:
    op.create_index('ix_webhook_events_created_at', 'webhook_events', ['created_at'])
    op.create_index(
        'ix_webhook_deliveries_finished',
        'webhook_deliveries',
        ['finished_at'],
        sqlite_where=FINISHED,
        postgresql_where=FINISHED,
    )


def downgrade() -> None:
    op.drop_index('ix_webhook_deliveries_finished', table_name='webhook_deliveries')
    op.drop_index('ix_webhook_events_created_at', table_name='webhook_events')
