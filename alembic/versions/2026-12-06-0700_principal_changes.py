"""principal_changes: what each commit changed about who a token is, for every process to
read about once a second and forget (app.principal.polling); kept for minutes

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('principal_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_principal_changes')),
    sqlite_autoincrement=True
    )
    op.create_index(op.f('ix_principal_changes_created_at'), 'principal_changes', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_principal_changes_created_at'), table_name='principal_changes')
    op.drop_table('principal_changes')
