"""Response models from rows (kept apart from the service so the service stays rule-only)."""

from __future__ import annotations

from collections.abc import Sequence

from app.models import Badge, BadgeKind, Member
from app.recognition import badges
from app.recognition.schemas import (
    BadgeCatalogue,
    BadgePublic,
    BadgeRule,
    MemberSummary,
)


def summary(member: Member) -> MemberSummary:
    return MemberSummary(
        id=member.id,  # type: ignore[arg-type]
        handle=member.handle,
        display_name=member.display_name,
        avatar_url=member.avatar_url,
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
