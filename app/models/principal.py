from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, UTCDateTime


class PrincipalChange(SQLModel, table=True):
    """A committed change to who a token is (app.principal.changes): every process that
    remembers token lookups reads the newest of these about once a second and forgets the
    members named (app.principal.polling). Kept for minutes, then pruned."""

    __tablename__ = "principal_changes"
    # Ids never come back once pruned (SQLite would reuse the highest): a process that
    # applied change 7 must not take a new change 7 for it.
    __table_args__ = (AUTOINCREMENT,)

    id: int | None = Field(default=None, primary_key=True)
    # No foreign key: the row must outlive an erased member, whose tokens it revokes.
    member_id: int | None = None  # None: every member
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
