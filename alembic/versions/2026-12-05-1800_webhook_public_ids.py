"""webhook public ids: a UUID per event and per delivery, what receivers see and de-duplicate on

Integer ids are issued again by a database restored from a backup; the payload's `id` and
the `Sanggar-Delivery` header must never repeat, so they become UUIDs kept in new unique
columns. Existing rows get one each (a UUIDv7 from their creation time).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 18:00:00
"""

import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('webhook_events', 'webhook_deliveries')


def _uuid7(created_at: datetime | str) -> str:
    """As app.core.uuids.uuid7, with the row's creation time (a migration keeps its own copy)."""
    if isinstance(created_at, str):  # SQLite hands back text
        created_at = datetime.fromisoformat(created_at)
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    milliseconds = int(created_at.timestamp() * 1000)
    value = (milliseconds & (2**48 - 1)) << 80 | secrets.randbits(80)
    value = value & ~(0xF << 76) | 0x7 << 76
    value = value & ~(0x3 << 62) | 0x2 << 62
    return str(uuid.UUID(int=value))


def _backfill(table_name: str) -> None:
    connection = op.get_bind()
    table = sa.table(table_name, sa.column('id'), sa.column('created_at'), sa.column('public_id'))
    rows = connection.execute(sa.select(table.c.id, table.c.created_at)).all()
    if rows:
        connection.execute(
            table.update().where(table.c.id == sa.bindparam('row_id')),
            [{'row_id': row_id, 'public_id': _uuid7(created_at)} for row_id, created_at in rows],
        )


def upgrade() -> None:
    for table_name in TABLES:
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('public_id', sa.String(length=36), nullable=True))
        _backfill(table_name)
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.alter_column('public_id', existing_type=sa.String(length=36), nullable=False)
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table_name}_public_id'), ['public_id'])


def downgrade() -> None:
    for table_name in reversed(TABLES):
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table_name}_public_id'), type_='unique')
            batch_op.drop_column('public_id')
