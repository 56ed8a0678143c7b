"""The activity log and its maintained totals, which the leaderboard reads (reads.py).

A contribution is recorded with one `INSERT … ON CONFLICT DO NOTHING RETURNING id` on the
unique (kind, source_id, member_id): a domain event delivered twice records one activity.
Only when a row was inserted are the totals moved, atomically in SQL: `members.points` and
the member's rows in `member_points` for the activity's week, month and all time. Taking a
contribution back (a withdrawn work or vote, a deleted comment or post) deletes its row with
RETURNING and moves the same totals back, so a repeat of that event changes nothing either.
On PostgreSQL a contribution and its totals are one statement (`_record_with_totals`), not
three: every vote, comment and work records one, inside the request that made it.

Each member's number of contributions per kind is kept too (`contribution_counts`), and
`record()` returns it, counting the new one: a badge earned by a count (ten comments, five
events) is looked at only when a contribution brings the count to it, not on every one. On
PostgreSQL the count moves in the contribution's statement (an upsert chained after the
member's row lock, whose RETURNING is the count after that lock: two concurrent comments of
one member return 9 and 10, never 9 twice); retractions and the bulk history move it by a
statement of their own. On SQLite triggers on `activities` move it (migration 0030), and the
member's points UPDATE returns it: writers there take turns, so no statement is added.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, partial
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session, col

from app.core.db import NO_SYNC, upsert_insert
from app.models import (
    Activity,
    ContributionKind,
    Member,
    MemberPoints,
    PeriodKind,
)
from app.models.recognition import ContributionCount
from app.principal.changes import PRINCIPALS_UNCHANGED
from app.recognition.points import POINTS

ALL_TIME_START = date(1970, 1, 1)


def week_start(moment: datetime) -> date:
    """The Monday of the ISO week of `moment` in UTC."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def period_start(kind: PeriodKind, moment: datetime) -> date:
    if kind == PeriodKind.WEEK:
        return week_start(moment)
    if kind == PeriodKind.MONTH:
        return moment.astimezone(UTC).date().replace(day=1)
    return ALL_TIME_START


def record(
    session: Session,
    *,
    member_id: int,
    kind: ContributionKind,
    source_id: int,
    occurred_at: datetime,
) -> int | None:
    """Records a contribution once; returns how many contributions of this kind the member
    has now, this one counted (exact under concurrency), or None if it was recorded before."""
    values = _contribution(member_id, POINTS[kind], occurred_at) | {
        "what": kind.value,
        "source": source_id,
        "at": occurred_at,
    }
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # On the Session's connection: a Core statement needs no ORM execution around it.
        connection = session.connection()
        return cast(int | None, connection.execute(_record_with_totals(), values).scalar())
    if session.execute(_record_alone(dialect), values).scalar() is None:
        return None
    # The activity's trigger has counted it: the points' UPDATE returns the count.
    count = session.execute(_CREDIT_RETURNING_COUNT, values).scalar()
    session.execute(_move_totals_of(dialect), values)
    return cast(int | None, count)


def _contribution(member_id: int, points: int, occurred_at: datetime) -> dict[str, Any]:
    """The parameters of the statements below that move a member's totals."""
    return {
        "member": member_id,
        "worth": points,
        "week": period_start(PeriodKind.WEEK, occurred_at),
        "month": period_start(PeriodKind.MONTH, occurred_at),
    }


# The statements of a contribution, built once with bound parameters (named unlike any
# column: an UPDATE would take a parameter named as a column for SET): building one and
# its cache key per call cost more CPU than the vote or comment that records it.
_ACTIVITIES = cast(sa.Table, Activity.__table__)  # type: ignore[attr-defined]
_MEMBERS = cast(sa.Table, Member.__table__)  # type: ignore[attr-defined]
_TOTALS = cast(sa.Table, MemberPoints.__table__)  # type: ignore[attr-defined]
_COUNTS = cast(sa.Table, ContributionCount.__table__)  # type: ignore[attr-defined]
_MEMBER = sa.bindparam("member", type_=sa.Integer)
_POINTS = sa.bindparam("worth", type_=sa.Integer)
_KIND = sa.bindparam("what", type_=_ACTIVITIES.c.kind.type)


def _build_record(insert: Any) -> Any:
    """The activity, unless recorded before: INSERT … ON CONFLICT DO NOTHING RETURNING id."""
    return (
        insert(_ACTIVITIES)
        .values(
            member_id=_MEMBER,
            kind=_KIND,
            source_id=sa.bindparam("source", type_=sa.Integer),
            points=_POINTS,
            occurred_at=sa.bindparam("at", type_=_ACTIVITIES.c.occurred_at.type),
            week_start=sa.bindparam("week", type_=sa.Date),
        )
        .on_conflict_do_nothing(index_elements=["kind", "source_id", "member_id"])
        .returning(_ACTIVITIES.c.id)
    )


def _period_rows(member: Any) -> sa.CompoundSelect[Any]:
    """The member's three period rows (week, month, all time) that `worth` moves."""
    starts = {
        PeriodKind.WEEK: sa.bindparam("week", type_=sa.Date),
        PeriodKind.MONTH: sa.bindparam("month", type_=sa.Date),
        PeriodKind.ALL: sa.literal(ALL_TIME_START, sa.Date),
    }
    return sa.union_all(
        *(
            sa.select(sa.literal(kind.value, sa.String), start, member, _POINTS)
            for kind, start in starts.items()
        )
    )


def _build_upsert_totals(insert: Any, member: Any) -> Any:
    upsert = insert(_TOTALS).from_select(
        ["period_kind", "period_start", "member_id", "points"], _period_rows(member)
    )
    return upsert.on_conflict_do_update(
        index_elements=["period_kind", "period_start", "member_id"],
        set_={"points": _TOTALS.c.points + upsert.excluded.points},
    )


def _credit(*conditions: Any) -> Any:
    """The member's points: not remembered with a token (app.principal.changes.UNREMEMBERED),
    so moving them changes no principal."""
    return (
        sa.update(_MEMBERS)
        .where(_MEMBERS.c.id == _MEMBER, *conditions)
        .values(points=_MEMBERS.c.points + _POINTS)
        .execution_options(**{PRINCIPALS_UNCHANGED: True})
    )


# Each statement built once, at first use, for the running dialect only.
@cache
def _record_with_totals() -> sa.Select[Any]:
    """PostgreSQL: the activity and the totals it moves in one statement instead of three,
    its parts chained (each reads the one before it) so that they lock in the order the
    step-by-step path does: the activity, the member, the member's period rows."""
    insert = partial(upsert_insert, "postgresql")
    recorded = _build_record(insert).cte("recorded")
    credited = _credit(sa.exists(sa.select(recorded.c.id))).returning(_MEMBERS.c.id).cte("credited")
    upsert = _build_upsert_totals(insert, credited.c.id)
    moved = upsert.returning(_TOTALS.c.member_id).cte("moved")
    # After the member's lock; ON CONFLICT DO UPDATE moves the latest committed row (even
    # one newer than this statement's snapshot), so RETURNING is the true count.
    counted = _build_count(insert, credited.c.id).returning(_COUNTS.c.count).cte("counted")
    return sa.select(
        sa.select(counted.c.count).scalar_subquery(),
        sa.select(sa.func.count()).select_from(moved).scalar_subquery(),
    ).execution_options(**{PRINCIPALS_UNCHANGED: True})


def _build_count(insert: Any, member: Any) -> Any:
    """The member's count of a kind up by one: INSERT … ON CONFLICT DO UPDATE."""
    count = insert(_COUNTS).from_select(
        ["member_id", "kind", "count"], sa.select(member, _KIND, sa.literal(1))
    )
    return count.on_conflict_do_update(
        index_elements=["member_id", "kind"], set_={"count": _COUNTS.c.count + 1}
    )


@cache
def _record_alone(dialect: str) -> Any:
    return _build_record(partial(upsert_insert, dialect))


# The step by step path (SQLite, and every retraction): the member, then the period rows.
_CREDIT = _credit()
# SQLite: the member's count of the kind, read as the points move (the trigger moved it).
_CREDIT_RETURNING_COUNT = _CREDIT.returning(
    sa.select(_COUNTS.c.count)
    .where(_COUNTS.c.member_id == _MEMBER, _COUNTS.c.kind == _KIND)
    .scalar_subquery()
)


@cache
def _move_totals_of(dialect: str) -> Any:
    return _build_upsert_totals(partial(upsert_insert, dialect), _MEMBER)


def _move(session: Session, values: dict[str, Any]) -> None:
    session.execute(_CREDIT, values)
    session.execute(_move_totals_of(session.get_bind().dialect.name), values)


def retract(
    session: Session, *, kind: ContributionKind, source_id: int, member_id: int | None = None
) -> int:
    """Takes back the activities of this contribution (of one member when given); returns
    how many were removed."""
    statement = sa.delete(Activity).where(
        col(Activity.kind) == kind, col(Activity.source_id) == source_id
    )
    if member_id is not None:
        statement = statement.where(col(Activity.member_id) == member_id)
    removed = session.execute(
        statement.returning(
            col(Activity.member_id), col(Activity.points), col(Activity.occurred_at)
        ),
        execution_options=NO_SYNC,
    ).all()
    for member_id, points, occurred_at in removed:
        _move_totals(session, member_id=member_id, points=-points, occurred_at=occurred_at)
    if removed and not _counted_by_triggers(session):
        counts = [{"member": member_id, "what": kind.value} for member_id, _, _ in removed]
        session.execute(_UNCOUNT, counts)
    return len(removed)


def _counted_by_triggers(session: Session) -> bool:
    """On SQLite the activities' triggers move `contribution_counts` (migration 0030)."""
    return session.get_bind().dialect.name == "sqlite"


# PostgreSQL: a retracted contribution's count back by one (an UPDATE: an upsert's proposed
# row of -1 would fail the CHECK before its conflict is found).
_UNCOUNT = (
    sa.update(_COUNTS)
    .where(_COUNTS.c.member_id == _MEMBER, _COUNTS.c.kind == _KIND)
    .values(count=_COUNTS.c.count - 1)
)


@dataclass(frozen=True)
class PastContribution:
    member_id: int
    kind: ContributionKind
    source_id: int
    occurred_at: datetime


def record_history(session: Session, entries: Sequence[PastContribution]) -> None:
    """Bulk-records past contributions known to be new (the demo's history): one INSERT of
    the activities, then every total moved by one statement each, not three per entry."""
    if not entries:
        return
    session.execute(
        sa.insert(_table(Activity)),
        [
            {
                "member_id": e.member_id,
                "kind": e.kind,
                "source_id": e.source_id,
                "points": POINTS[e.kind],
                "occurred_at": e.occurred_at,
                "week_start": week_start(e.occurred_at),
            }
            for e in entries
        ],
    )
    per_member: Counter[int] = Counter()
    per_period: Counter[tuple[PeriodKind, date, int]] = Counter()
    for e in entries:
        per_member[e.member_id] += POINTS[e.kind]
        for kind in PeriodKind:
            per_period[(kind, period_start(kind, e.occurred_at), e.member_id)] += POINTS[e.kind]
    session.execute(_CREDIT, [{"member": m, "worth": d} for m, d in per_member.items()])
    if not _counted_by_triggers(session):
        _count_history(session, entries)
    insert = upsert_insert(session, _table(MemberPoints))
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["period_kind", "period_start", "member_id"],
            set_={"points": insert.table.c.points + insert.excluded.points},
        ),
        [
            {"period_kind": k, "period_start": start, "member_id": m, "points": p}
            for (k, start, m), p in per_period.items()
        ],
    )


def _count_history(session: Session, entries: Sequence[PastContribution]) -> None:
    counts = Counter((e.member_id, e.kind.value) for e in entries)
    insert = upsert_insert(session, _COUNTS)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["member_id", "kind"],
            set_={"count": _COUNTS.c.count + insert.excluded.count},
        ),
        [{"member_id": m, "kind": kind, "count": n} for (m, kind), n in counts.items()],
    )


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


def _move_totals(session: Session, *, member_id: int, points: int, occurred_at: datetime) -> None:
    _move(session, _contribution(member_id, points, occurred_at))
