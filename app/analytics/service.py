"""Engagement numbers, computed from the activity log with aggregate queries.

Who counts ("the community"): active accounts with the role member or mentor (organizers
and admins run the community; counting them would blur the picture). Every query filters
activities by `occurred_at` (indexed, alone and with `member_id`) and groups in SQL;
weeks come from the stored `week_start`, so nothing depends on a database's date functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.analytics.exceptions import RangeInvalid
from app.analytics.schemas import EngagementReport, WeekStats
from app.core.pagination import PageParams, asc, desc, paginate
from app.i18n import N_
from app.models import (
    Activity,
    ContributionKind,
    Event,
    EventCheckIn,
    EventRsvp,
    EventStatus,
    Member,
    Role,
    RsvpStatus,
)
from app.recognition.service import week_start

MAX_RANGE_DAYS = 366
RECENT_DAYS = 30
BASELINE_DAYS = 90
COMMUNITY_ROLES = (Role.MEMBER, Role.MENTOR)


def community() -> sa.ColumnElement[bool]:
    return sa.and_(col(Member.is_active).is_(True), col(Member.role).in_(COMMUNITY_ROLES))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def check_range(start: date, end: date) -> None:
    if end < start:
        raise RangeInvalid(N_("`to` is before `from`."), loc=["query", "to"])
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise RangeInvalid(
            N_("A range covers at most {days} days."),
            values={"days": MAX_RANGE_DAYS},
            loc=["query", "to"],
        )


def engagement(session: Session, *, start: date, end: date) -> EngagementReport:
    """The community's engagement over the inclusive dates [start, end] (UTC)."""
    check_range(start, end)
    since, until = _midnight(start), _midnight(end + timedelta(days=1))
    members = community() & (col(Member.joined_at) < until)
    total, new = session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(col(Member.joined_at) >= since)).where(
            members
        )
    ).one()

    # The community as a set probed per activity: cheaper than joining each row to members.
    counted = sa.select(col(Member.id)).where(members)

    def activities(*columns: Any) -> sa.Select[Any]:
        return sa.select(*columns).where(
            col(Activity.occurred_at) >= since,
            col(Activity.occurred_at) < until,
            col(Activity.member_id).in_(counted),
        )

    member_id = col(Activity.member_id)
    active, entrants = session.execute(
        activities(
            sa.func.count(sa.distinct(member_id)),
            sa.func.count(sa.distinct(member_id)).filter(
                col(Activity.kind) == ContributionKind.SUBMISSION
            ),
        )
    ).one()
    by_kind: dict[str, int] = dict(
        session.execute(
            activities(col(Activity.kind), sa.func.count()).group_by(col(Activity.kind))
        ).all()
    )
    weeks = {
        week: (n, people)
        for week, n, people in session.execute(
            activities(
                col(Activity.week_start), sa.func.count(), sa.func.count(sa.distinct(member_id))
            ).group_by(col(Activity.week_start))
        ).all()
    }
    return EngagementReport(
        from_=start,
        to=end,
        members_total=total,
        members_new=new,
        members_active=active,
        participation_rate=_rate(active, total),
        members_silent=total - active,
        contributions_by_type={kind.value: by_kind.get(kind.value, 0) for kind in ContributionKind},
        weekly=_weekly(start, end, weeks),
        challenge_participation_rate=_rate(entrants, active),
        event_attendance_rate=_attendance(session, since=since, until=until),
    )


def _weekly(start: date, end: date, weeks: dict[date, tuple[int, int]]) -> list[WeekStats]:
    monday, last = week_start(_midnight(start)), week_start(_midnight(end))
    series = []
    while monday <= last:
        contributions, people = weeks.get(monday, (0, 0))
        series.append(
            WeekStats(week_start=monday, contributions=contributions, active_members=people)
        )
        monday += timedelta(weeks=1)
    return series


def _attendance(session: Session, *, since: datetime, until: datetime) -> float:
    checked_in = sa.exists().where(
        col(EventCheckIn.event_id) == col(EventRsvp.event_id),
        col(EventCheckIn.member_id) == col(EventRsvp.member_id),
    )
    going, attended = session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(checked_in))
        .select_from(EventRsvp)
        .join(Event, col(Event.id) == col(EventRsvp.event_id))
        .where(
            col(EventRsvp.status) == RsvpStatus.GOING,
            col(Event.status) == EventStatus.PUBLISHED,
            col(Event.starts_at) >= since,
            col(Event.starts_at) < until,
        )
    ).one()
    return _rate(attended, going)


# --- whom to reach out to ------------------------------------------------------------------


@dataclass(frozen=True)
class Silent:
    member: Member
    last_contribution_at: datetime | None
    newcomer: bool


def silent_members(
    session: Session, *, days: int, now: datetime, params: PageParams
) -> tuple[list[Silent], str | None]:
    """Community members without a contribution in the last `days`, newest joined first."""
    since = now - timedelta(days=days)
    recent = sa.exists().where(
        col(Activity.member_id) == col(Member.id), col(Activity.occurred_at) >= since
    )
    statement = select(Member).where(community(), ~recent)
    keys = [desc(Member.joined_at), desc(Member.id)]
    page, next_cursor = paginate(session, statement, keys=keys, params=params)
    last = _last_contributions(session, [m.id for m in page])
    items = [
        Silent(
            member=member,
            last_contribution_at=last.get(member.id),
            newcomer=member.joined_at >= since and member.id not in last,
        )
        for member in page
    ]
    return items, next_cursor


def _last_contributions(session: Session, member_ids: Sequence[int]) -> dict[int, datetime]:
    if not member_ids:
        return {}
    rows = session.execute(
        sa.select(col(Activity.member_id), sa.func.max(col(Activity.occurred_at)))
        .where(col(Activity.member_id).in_(member_ids))
        .group_by(col(Activity.member_id))
    ).all()
    return {member_id: at for member_id, at in rows}  # noqa: C416 - typed pairs


@dataclass(frozen=True)
class Fading:
    member: Member
    recent: int
    baseline: float
    last_contribution_at: datetime | None


def _counts(now: datetime) -> sa.Select[int, int, int]:
    """Per member: contributions in the last 30 days, and in the 90 days before those."""
    cut = now - timedelta(days=RECENT_DAYS)
    is_recent = col(Activity.occurred_at) >= cut
    return (
        sa.select(
            col(Activity.member_id),
            sa.func.count().filter(is_recent).label("recent"),
            sa.func.count().filter(~is_recent).label("prior"),
        )
        .where(col(Activity.occurred_at) >= cut - timedelta(days=BASELINE_DAYS))
        .group_by(col(Activity.member_id))
    )


def _counts_of(
    session: Session, *, now: datetime, member_ids: Sequence[int | None]
) -> dict[int, tuple[int, int]]:
    if not member_ids:
        return {}
    rows = session.execute(_counts(now).where(col(Activity.member_id).in_(member_ids))).all()
    return {member_id: (recent, prior) for member_id, recent, prior in rows}


def fading_members(
    session: Session, *, now: datetime, params: PageParams
) -> tuple[list[Fading], str | None]:
    """Members whose last 30 days fell below half their usual monthly rate (by member id).

    Fading: prior > 0 and recent < (prior / 3) / 2, that is recent * 6 < prior.
    """
    counts = _counts(now).subquery()
    recent, prior = counts.c.recent, counts.c.prior
    fading_ids = sa.select(counts.c.member_id).where(prior > 0, recent * 6 < prior)
    statement = select(Member).where(community(), col(Member.id).in_(fading_ids))
    page, next_cursor = paginate(session, statement, keys=[asc(Member.id)], params=params)
    ids = [m.id for m in page]
    numbers = _counts_of(session, now=now, member_ids=ids)
    last = _last_contributions(session, ids)
    items = [
        Fading(
            member=member,
            recent=numbers[member.id][0],
            baseline=numbers[member.id][1] / 3,
            last_contribution_at=last.get(member.id),
        )
        for member in page
    ]
    return items, next_cursor
