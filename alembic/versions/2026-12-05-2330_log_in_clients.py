"""log-in clients: the user agent and a coarse client description of each log-in

`auth_sessions.user_agent` keeps the `User-Agent` a log-in began with (trimmed, control
characters removed) and `auth_sessions.client` a short description derived from it
("Firefox on Linux"), so a member can tell their log-ins apart. Both are null for log-ins
that began before this revision, and are erased with the account.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_agent', sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column('client', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_column('client')
        batch_op.drop_column('user_agent')
