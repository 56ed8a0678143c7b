"""login attempts: the per-account log-in budget, counted in the database without Redis

Redis counts each account's log-in attempts for every process; while it is unreachable (or
not configured) each process would count alone, so an attacker spreading guesses over N
processes got N budgets. The attempts are then kept here, shared by every process, for as
long as they count.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'login_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account', sa.String(length=64), nullable=False),
        sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_login_attempts_account_attempted_at',
        'login_attempts',
        ['account', 'attempted_at'],
    )
    op.create_index('ix_login_attempts_attempted_at', 'login_attempts', ['attempted_at'])


def downgrade() -> None:
    op.drop_index('ix_login_attempts_attempted_at', table_name='login_attempts')
    op.drop_index('ix_login_attempts_account_attempted_at', table_name='login_attempts')
    op.drop_table('login_attempts')
