"""showcase announcements: when a work's entry into the public showcase was announced

`submissions.showcase_announced_at` is set, by a conditional UPDATE, when the
`SubmissionShowcased` domain event (the `submission.showcased` webhook type) is published
for the work, so each work is announced once even when two processes rank its challenge at
the same time. Works already showcased in a challenge whose results were announced before
this revision are marked announced: nothing should announce them now. Featured works of
challenges still running are announced when their challenge's results are.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('showcase_announced_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE submissions SET showcase_announced_at = showcased_at"
        " WHERE showcased_at IS NOT NULL AND challenge_id IN"
        " (SELECT id FROM challenges WHERE closed_announced_at IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('showcase_announced_at')
