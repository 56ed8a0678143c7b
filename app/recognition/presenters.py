"""Response models from rows (kept apart from the service so the service stays rule-only)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from app.models import Badge, BadgeKind, Member, PeriodKind
from app.recognition import badges
from app.recognition import service as recognition
from app.recognition.schemas import (
    BadgeCatalogue,
    BadgePublic,
    BadgeRule,
    LeaderboardPage,
    MemberSummary,
    Standing,
)


def summary(member: Member) -> MemberSummary:
    return MemberSummary(
        id=member.id,  # type: ignore[arg-type]
        handle=member.handle,
        display_name=member.display_name,
        avatar_url=member.avatar_url,
    )


def leaderboard_page(
    standings: list[recognition.Standing],
    next_cursor: str | None,
    *,
    period: PeriodKind,
    now: datetime,
) -> LeaderboardPage:
    return LeaderboardPage(
        period=period,
        period_start=recognition.period_start(period, now),
        items=[Standing(rank=s.rank, points=s.points, member=summary(s.member)) for s in standings],
        next_cursor=next_cursor,
    )


def badge(row: Badge) -> BadgePublic:
    return BadgePublic(
        id=row.id,  # type: ignore[arg-type]
        member_id=row.member_id,
        kind=BadgeKind(row.kind),
        code=row.code,
        title=row.title,
        reason=row.reason,
        awarded_at=row.awarded_at,
        awarded_by_id=row.awarded_by_id,
    )


def catalogue(
    rules: Sequence[badges.Rule], next_cursor: str | None, *, holders: dict[str, int], awards: int
) -> BadgeCatalogue:
    return BadgeCatalogue(
        items=[
            BadgeRule(
                code=rule.code,
                title=rule.title,
                description=rule.description,
                holders=holders.get(rule.code, 0),
            )
            for rule in rules
        ],
        next_cursor=next_cursor,
        awards_granted=awards,
    )
