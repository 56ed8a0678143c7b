"""i18n: a member's locale is `id` or `en`; notifications keep their texts' message ids

`members.locale` gains a check (`id`, `en` or unknown, NULL); values outside it become
NULL (unknown: the request's Accept-Language decides). `notifications.texts` holds the
message ids of a notification's title and body and the values they quote, so the feed
shows them in the reader's language; rows written before it keep their stored text.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 00:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE members SET locale = NULL WHERE locale NOT IN ('id', 'en')")
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_check_constraint('locale_known', "locale IN ('id', 'en')")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('texts', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('texts')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_members_locale_known'), type_='check')
