"""The activity log and its maintained totals, and the leaderboard read from them.

A contribution is recorded with one `INSERT … ON CONFLICT DO NOTHING RETURNING id` on the
unique (kind, source_id, member_id): a domain event delivered twice records one activity.
Only when a row was inserted are the totals moved, atomically in SQL: `members.points` and
the member's rows in `member_points` for the activity's week, month and all time. Taking a
contribution back (a withdrawn work or vote, a deleted comment or post) deletes its row with
RETURNING and moves the same totals back, so a repeat of that event changes nothing either.
On PostgreSQL a contribution and its totals are one statement (`_record_with_totals`), not
three: every vote, comment and work records one, inside the request that made it.

Moving `members.points` locks the member's row until commit, so one member's contributions
are recorded one at a time: a count read after `record()` (the badges' "fifth event")
sees every earlier contribution of that member, also under concurrent requests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col, select

from app.core.db import NO_SYNC, upsert_insert
from app.core.pagination import PageParams, asc, desc, paginate
from app.models import (
    Activity,
    ContributionKind,
    Member,
    MemberPoints,
    MemberTag,
    PeriodKind,
    TagKind,
)
from app.principal.changes import principals_changed
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
    """Records a contribution once; returns the new activity's id, None if already recorded."""
    points = POINTS[kind]
    statement = (
        upsert_insert(session, Activity)
        .values(
            member_id=member_id,
            kind=kind,
            source_id=source_id,
            points=points,
            occurred_at=occurred_at,
            week_start=week_start(occurred_at),
        )
        .on_conflict_do_nothing(index_elements=["kind", "source_id", "member_id"])
        .returning(col(Activity.id))
    )
    if session.get_bind().dialect.name == "postgresql":
        return _record_with_totals(session, statement, member_id, points, occurred_at)
    activity_id: int | None = session.execute(statement).scalar_one_or_none()
    if activity_id is not None:
        _move_totals(session, member_id=member_id, points=points, occurred_at=occurred_at)
    return activity_id


def _record_with_totals(
    session: Session, insert: Any, member_id: int, points: int, occurred_at: datetime
) -> int | None:
    """PostgreSQL: the activity and the totals it moves in one statement instead of three,
    its parts chained (each reads the one before it) so that they lock in the order the
    step-by-step path does: the activity, the member, the member's period rows."""
    recorded = insert.cte("recorded")
    members = _table(Member)
    credited = (
        sa.update(members)
        .where(members.c.id == member_id, sa.exists(sa.select(recorded.c.id)))
        .values(points=members.c.points + points)
        .returning(members.c.id)
        .cte("credited")
    )
    periods = sa.union_all(
        *(
            sa.select(
                sa.literal(kind.value, sa.String),
                sa.literal(period_start(kind, occurred_at), sa.Date),
                credited.c.id,
                sa.literal(points, sa.Integer),
            )
            for kind in PeriodKind
        )
    )
    totals = _table(MemberPoints)
    upsert = postgresql.insert(totals).from_select(
        ["period_kind", "period_start", "member_id", "points"], periods
    )
    moved = (
        upsert.on_conflict_do_update(
            index_elements=["period_kind", "period_start", "member_id"],
            set_={"points": totals.c.points + upsert.excluded.points},
        )
        .returning(totals.c.member_id)
        .cte("moved")
    )
    activity_id, _ = session.execute(
        sa.select(
            sa.select(recorded.c.id).scalar_subquery(),
            sa.select(sa.func.count()).select_from(moved).scalar_subquery(),
        )
    ).one()
    if activity_id is not None:
        principals_changed(session, member_ids=[member_id])
    return cast(int | None, activity_id)


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
    return len(removed)


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
    members = _table(Member)
    session.execute(
        sa.update(members)
        .where(members.c.id == sa.bindparam("member"))
        .values(points=members.c.points + sa.bindparam("delta")),
        [{"member": m, "delta": d} for m, d in per_member.items()],
    )
    principals_changed(session, member_ids=per_member)
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


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


def _move_totals(session: Session, *, member_id: int, points: int, occurred_at: datetime) -> None:
    session.execute(
        sa.update(Member)
        .where(col(Member.id) == member_id)
        .values(points=col(Member.points) + points),
        execution_options=NO_SYNC,
    )
    principals_changed(session, member_ids=[member_id])
    rows = [
        {
            "period_kind": kind,
            "period_start": period_start(kind, occurred_at),
            "member_id": member_id,
            "points": points,
        }
        for kind in PeriodKind
    ]
    insert = upsert_insert(session, MemberPoints).values(rows)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["period_kind", "period_start", "member_id"],
            set_={"points": col(MemberPoints.points) + insert.excluded.points},
        )
    )


def count_of(session: Session, *, member_id: int, kind: ContributionKind) -> int:
    """How many contributions of a kind a member has (on the (member_id, kind) index)."""
    return session.exec(
        select(sa.func.count())
        .select_from(Activity)
        .where(Activity.member_id == member_id, Activity.kind == kind)
    ).one()


# --- the leaderboard -----------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    rank: int
    points: int
    member: Member


def _standing_filters(
    kind: PeriodKind, start: date, discipline: str | None
) -> list[sa.ColumnElement[bool]]:
    filters = [
        col(MemberPoints.period_kind) == kind,
        col(MemberPoints.period_start) == start,
        col(MemberPoints.points) > 0,
        col(Member.is_active).is_(True),
    ]
    if discipline is not None:
        filters.append(
            sa.exists().where(
                col(MemberTag.member_id) == col(MemberPoints.member_id),
                col(MemberTag.kind) == TagKind.DISCIPLINE,
                col(MemberTag.value_key) == discipline,
            )
        )
    return filters


def leaderboard(
    session: Session,
    *,
    period: PeriodKind,
    discipline: str | None,
    now: datetime,
    params: PageParams,
) -> tuple[list[Standing], str | None]:
    """Members by points in the current period (most first, ties by member id)."""
    filters = _standing_filters(period, period_start(period, now), discipline)
    statement = (
        select(MemberPoints)
        .join(Member, col(Member.id) == col(MemberPoints.member_id))
        .where(*filters)
    )
    keys = [desc(MemberPoints.points), asc(MemberPoints.member_id)]
    page, next_cursor = paginate(session, statement, keys=keys, params=params)
    members = {
        m.id: m
        for m in session.exec(
            select(Member).where(col(Member.id).in_([row.member_id for row in page]))
        )
    }
    ranks = _ranks(session, filters, [row.points for row in page])
    standings = [
        Standing(rank=rank, points=row.points, member=members[row.member_id])
        for rank, row in zip(ranks, page, strict=True)
    ]
    return standings, next_cursor


def _ranks(
    session: Session, filters: list[sa.ColumnElement[bool]], points: Sequence[int]
) -> list[int]:
    """Standard competition ranks (1, 2, 2, 4) of a page of the points-ordered list.

    A row's rank is 1 + the rows with more points. One COUNT gives that for the page's
    first row (and how many rows reach its points); the rest follow from the page itself,
    so ranks stay right across pages at the cost of one query.
    """
    if not points:
        return []
    top = points[0]
    column = col(MemberPoints.points)
    # Only the rows at or above the page's first: both counts are among them, and the
    # points index reads just those (a first page reads a handful, not the whole period).
    above, at_least = session.execute(
        sa.select(sa.func.count().filter(column > top), sa.func.count())
        .select_from(MemberPoints)
        .join(Member, col(Member.id) == col(MemberPoints.member_id))
        .where(*filters, column >= top)
    ).one()
    ranks: list[int] = []
    below_top = 0  # rows so far on this page with fewer points than the first
    for index, value in enumerate(points):
        if value == top:
            ranks.append(above + 1)
        elif value == points[index - 1]:
            ranks.append(ranks[-1])
        else:
            # Everyone with more: all who reach `top`, and this page's rows in between.
            ranks.append(at_least + below_top + 1)
        if value < top:
            below_top += 1
    return ranks
