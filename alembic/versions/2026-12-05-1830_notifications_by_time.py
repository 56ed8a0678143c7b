"""notifications by time: the feed is ordered by (created_at, id), announcements at their time

An announcement reaches a member's feed when the member first reads it, and was stamped
then, sorting above what happened later. It now carries the announcement's time and the feed
is ordered by time, so the index the feed walks becomes (member_id, created_at, id).
Announcement notifications already copied get their announcement's time.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_notifications_member_id_created_at_id',
        'notifications',
        ['member_id', 'created_at', 'id'],
    )
    op.drop_index('ix_notifications_member_id_id', table_name='notifications')
    op.execute(
        sa.text(
            'UPDATE notifications SET created_at = ('
            ' SELECT announcements.created_at FROM announcements'
            ' WHERE announcements.id = notifications.announcement_id'
            ') WHERE announcement_id IS NOT NULL'
        )
    )


def downgrade() -> None:
    # The announcements' times stay: they are as true under the old order as under the new.
    op.create_index('ix_notifications_member_id_id', 'notifications', ['member_id', 'id'])
    op.drop_index('ix_notifications_member_id_created_at_id', table_name='notifications')
