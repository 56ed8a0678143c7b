"""The leaderboard as the API shows it: the read model of `GET /leaderboard`.

Statements built once, in Core, on a connection (app.readmodels): a page of a period's
points with their members joined in (one statement), then the rank of the page's first
row (a second, counting only the rows at or above it). A discipline adds its filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.challenges import ranking
from app.core.pagination import PageParams, asc, desc, paginate_rows
from app.models import Member, MemberPoints, MemberTag, PeriodKind, TagKind
from app.recognition.schemas import LeaderboardPage, MemberSummary, Standing
from app.recognition.service import period_start

_POINTS = cast(sa.Table, MemberPoints.__table__)  # type: ignore[attr-defined]
_MEMBERS = cast(sa.Table, Member.__table__)  # type: ignore[attr-defined]
_TAGS = cast(sa.Table, MemberTag.__table__)  # type: ignore[attr-defined]

_RANKED = _POINTS.join(_MEMBERS, _MEMBERS.c.id == _POINTS.c.member_id)
# Who stands in the period: active members with points in it.
_STANDING = (
    _POINTS.c.period_kind == sa.bindparam("period_kind"),
    _POINTS.c.period_start == sa.bindparam("period_start"),
    _POINTS.c.points > 0,
    _MEMBERS.c.is_active.is_(True),
)
_OF_DISCIPLINE = (
    sa.exists()
    .where(
        _TAGS.c.member_id == _POINTS.c.member_id,
        _TAGS.c.kind == TagKind.DISCIPLINE.value,
        _TAGS.c.value_key == sa.bindparam("discipline"),
    )
    .correlate(_POINTS)
)


def _statements(*, discipline: bool) -> tuple[sa.Select[Any], sa.Select[int, int]]:
    """The page's rows, and the counts of rows above and at the page's first points."""
    conditions = (*_STANDING, _OF_DISCIPLINE) if discipline else _STANDING
    rows = (
        sa.select(
            _POINTS.c.points,
            _POINTS.c.member_id,
            _MEMBERS.c.handle,
            _MEMBERS.c.display_name,
            _MEMBERS.c.avatar_url,
        )
        .select_from(_RANKED)
        .where(*conditions)
    )
    top = sa.bindparam("top", type_=sa.Integer)
    # Only the rows at or above the page's first: the points index reads just those (a
    # first page reads a handful, not the whole period).
    counts = (
        sa.select(sa.func.count().filter(_POINTS.c.points > top), sa.func.count())
        .select_from(_RANKED)
        .where(*conditions, _POINTS.c.points >= top)
    )
    return rows, counts


# Built once, without and with a discipline.
_STATEMENTS = {discipline: _statements(discipline=discipline) for discipline in (False, True)}
_PAGE_KEYS = [desc(MemberPoints.points), asc(MemberPoints.member_id)]


def leaderboard(
    connection: Connection,
    *,
    period: PeriodKind,
    discipline: str | None,
    now: datetime,
    params: PageParams,
) -> LeaderboardPage:
    """Members by points in the current period (most first, ties by member id)."""
    start = period_start(period, now)
    values: dict[str, Any] = {"period_kind": period.value, "period_start": start}
    if discipline is not None:
        values["discipline"] = discipline
    rows_of, counts_of = _STATEMENTS[discipline is not None]
    rows, next_cursor = paginate_rows(
        connection, rows_of.params(values), keys=_PAGE_KEYS, params=params
    )
    points = [row.points for row in rows]
    items = [
        Standing(
            rank=rank,
            points=row.points,
            member=MemberSummary(
                id=row.member_id,
                handle=row.handle,
                display_name=row.display_name,
                avatar_url=row.avatar_url,
            ),
        )
        for rank, row in zip(_ranks(connection, counts_of, values, points), rows, strict=True)
    ]
    return LeaderboardPage(period=period, period_start=start, items=items, next_cursor=next_cursor)


def _ranks(
    connection: Connection,
    counts: sa.Select[int, int],
    values: dict[str, Any],
    points: Sequence[int],
) -> list[int]:
    """The ranks of a page of the points-ordered list (one COUNT for its first row)."""
    if not points:
        return []
    above, at_least = connection.execute(counts, {**values, "top": points[0]}).one()
    return ranking.competition_ranks(points, above=above, at_least=at_least)
