"""The audit log: one row per privileged action, never changed or removed afterwards."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, created_at_field

# The database itself refuses UPDATE and DELETE, so not even a bug (or a hand with a SQL
# prompt through the app's own role) can rewrite history. The migration creates the same
# triggers; these also give them to tables made with `metadata.create_all`.
POSTGRES_TRIGGERS = [
    """
    CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()
    """,
]
SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END
    """,
    """
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END
    """,
]
SQLITE_TRIGGER_NAMES = ["audit_log_no_update", "audit_log_no_delete"]


class AuditEntry(SQLModel, table=True):
    """Who did what to which object, what changed, and under which request."""

    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_action_id", "action", "id"),
        sa.Index("ix_audit_log_actor_id_id", "actor_id", "id"),
        sa.Index("ix_audit_log_target_type_target_id_id", "target_type", "target_id", "id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    # No foreign key: an entry outlives whatever it names, and a cascading SET NULL would
    # be an UPDATE the table refuses. Null when the action came from the command line.
    actor_id: int | None = None
    action: str = Field(max_length=64)
    target_type: str = Field(max_length=32)
    target_id: int
    # {"field": {"before": ..., "after": ...}} for the fields the action changed.
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    request_id: str | None = Field(default=None, max_length=128)
    created_at: datetime = created_at_field()


def _install_triggers(_table: sa.Table, connection: sa.Connection, **_: Any) -> None:
    statements = {"postgresql": POSTGRES_TRIGGERS, "sqlite": SQLITE_TRIGGERS}
    for statement in statements.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


sa.event.listen(AuditEntry.__table__, "after_create", _install_triggers)  # type: ignore[attr-defined]
