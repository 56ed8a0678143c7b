"""judging: a challenge's jury and rubric, jurors' scores and the per-work sums

`challenges.judging` holds how a challenge is judged (NULL: by votes alone). Each juror's
scores of a work are one `jury_scores` row (unique per juror and work, replaced on
re-score); the work's sums (`submissions.jury_total`, `juror_count` and the per-criterion
`submission_criterion_scores`) move with each score, and `submissions.ranking_score` is the
final score the ranking writes at closing. Existing works start with zero sums.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('jury_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('juror_id', sa.Integer(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=False),
    sa.Column('previous_scores', sa.JSON(), nullable=True),
    sa.Column('previous_total', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('total >= 0', name=op.f('ck_jury_scores_total_not_negative')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_jury_scores_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['juror_id'], ['members.id'], name=op.f('fk_jury_scores_juror_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_jury_scores_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jury_scores')),
    sa.UniqueConstraint('juror_id', 'submission_id', name=op.f('uq_jury_scores_juror_id_submission_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('jury_scores', schema=None) as batch_op:
        batch_op.create_index('ix_jury_scores_challenge_id_id', ['challenge_id', 'id'], unique=False)
        batch_op.create_index('ix_jury_scores_submission_id_id', ['submission_id', 'id'], unique=False)

    op.create_table('submission_criterion_scores',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('criterion_key', sa.String(length=32), nullable=False),
    sa.Column('score_sum', sa.Integer(), nullable=False),
    sa.CheckConstraint('score_sum >= 0', name=op.f('ck_submission_criterion_scores_score_sum_not_negative')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_submission_criterion_scores_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', 'criterion_key', name=op.f('pk_submission_criterion_scores'))
    )
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('judging', sa.JSON(), nullable=True))

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('jury_total', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('juror_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('ranking_score', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.create_index('ix_submissions_challenge_id_ranking_score_id', ['challenge_id', 'ranking_score', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_challenge_id_ranking_score_id')
        batch_op.drop_column('ranking_score')
        batch_op.drop_column('juror_count')
        batch_op.drop_column('jury_total')

    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.drop_column('judging')

    op.drop_table('submission_criterion_scores')
    with op.batch_alter_table('jury_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_jury_scores_submission_id_id')
        batch_op.drop_index('ix_jury_scores_challenge_id_id')

    op.drop_table('jury_scores')
