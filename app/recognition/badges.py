"""Badges: earned automatically by the rules below, or granted by organizers as awards.

An automatic badge is inserted with ON CONFLICT DO NOTHING on the unique (member_id, code),
so each is awarded once however often (or concurrently) its rule is met; `badge.awarded`
is published only for the row actually inserted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.core.db import upsert_insert
from app.core.domain_events import BadgeAwarded, publish
from app.core.pagination import PageParams, desc, paginate
from app.i18n import N_
from app.models import Badge, BadgeKind, Challenge, Member, Submission
from app.recognition.exceptions import BadgeNotFound

FIRST_SUBMISSION = "first_submission"
CHALLENGE_WINNER = "challenge_winner"
FIVE_EVENTS = "five_events_attended"
FIRST_MENTORSHIP = "first_mentorship_completed"
PROJECT_COMPLETED = "project_completed"
TEN_COMMENTS = "ten_comments"
WEEKLY_STREAK = "weekly_streak_4"

STREAK_LENGTH = 4
EVENTS_NEEDED = 5
COMMENTS_NEEDED = 10


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    description: str


CATALOGUE = (
    Rule(FIRST_SUBMISSION, "First submission", "Entered a first work in a challenge."),
    Rule(CHALLENGE_WINNER, "Challenge winner", "A work ranked among a challenge's winners."),
    Rule(FIVE_EVENTS, "Five events attended", "Checked in at five community events."),
    Rule(
        FIRST_MENTORSHIP,
        "First mentorship completed",
        "Completed a first mentorship, as mentor or as mentee.",
    ),
    Rule(PROJECT_COMPLETED, "Project completed", "Was an active member of a completed project."),
    Rule(TEN_COMMENTS, "Ten comments", "Gave feedback on others' works ten times."),
    Rule(
        WEEKLY_STREAK,
        "Four weekly challenges in a row",
        "Entered four consecutive challenges of a weekly series.",
    ),
)
TITLES = {rule.code: rule.title for rule in CATALOGUE}


_BADGES = cast(sa.Table, Badge.__table__)  # type: ignore[attr-defined]


@cache
def _award(dialect: str) -> Any:
    """The automatic badge's INSERT … ON CONFLICT DO NOTHING RETURNING id, values bound,
    built once, at first use, for the running dialect only."""
    bound = {
        name: sa.bindparam(name, type_=_BADGES.c[name].type)
        for name in ("member_id", "code", "title", "reason", "awarded_at")
    }
    return (
        upsert_insert(dialect, _BADGES)
        .values(kind=BadgeKind.AUTOMATIC, **bound)
        .on_conflict_do_nothing(index_elements=["member_id", "code"])
        .returning(_BADGES.c.id)
    )


def award(session: Session, *, member_id: int, code: str, reason: str, at: datetime) -> bool:
    """Awards an automatic badge once; True when it was awarded now."""
    values = {
        "member_id": member_id,
        "code": code,
        "title": TITLES[code],
        "reason": reason[:2000],
        "awarded_at": at,
    }
    statement = _award(session.get_bind().dialect.name)
    # On the Session's connection: a Core statement needs no ORM execution around it.
    badge_id = session.connection().execute(statement, values).scalar_one_or_none()
    if badge_id is None:
        return False
    _announce(session, member_id=member_id, badge_id=badge_id, code=code, title=TITLES[code])
    return True


def grant(
    session: Session, *, organizer: Member, member: Member, title: str, note: str | None
) -> Badge:
    """An organizer's award; it appears among the member's badges with kind `award`."""
    badge = Badge(
        member_id=member.id,  # type: ignore[arg-type]
        kind=BadgeKind.AWARD,
        code=None,
        title=title,
        reason=note or f"awarded by {organizer.display_name}",
        awarded_at=utcnow(),
        awarded_by_id=organizer.id,
    )
    session.add(badge)
    session.flush()
    _announce(
        session,
        member_id=badge.member_id,
        badge_id=badge.id,  # type: ignore[arg-type]
        code=None,
        title=title,
        actor_id=organizer.id,
    )
    return badge


def _announce(
    session: Session,
    *,
    member_id: int,
    badge_id: int,
    code: str | None,
    title: str,
    actor_id: int | None = None,
) -> None:
    kind = BadgeKind.AUTOMATIC if code is not None else BadgeKind.AWARD
    publish(
        session,
        BadgeAwarded(
            actor_id=actor_id,
            member_id=member_id,
            badge_id=badge_id,
            kind=kind.value,
            code=code,
            title=title,
        ),
    )


def list_badges(
    session: Session, *, member_id: int, params: PageParams
) -> tuple[list[Badge], str | None]:
    statement = select(Badge).where(Badge.member_id == member_id)
    return paginate(session, statement, keys=[desc(Badge.id)], params=params)


def get_badge(session: Session, *, member_id: int, badge_id: int) -> Badge:
    badge = session.get(Badge, badge_id)
    if badge is None or badge.member_id != member_id:
        raise BadgeNotFound(
            N_("Member {member_id} has no badge {badge_id}."),
            values={"member_id": member_id, "badge_id": badge_id},
        )
    return badge


def holders(session: Session) -> tuple[dict[str, int], int]:
    """Members holding each automatic badge, and how many awards were granted."""
    rows = session.execute(
        sa.select(col(Badge.code), sa.func.count())
        .join(Member, col(Member.id) == col(Badge.member_id))
        .where(col(Member.is_active).is_(True))
        .group_by(col(Badge.code))
    ).all()
    counts = {code: n for code, n in rows if code is not None}
    awards = next((n for code, n in rows if code is None), 0)
    return counts, awards


# --- the weekly streak ---------------------------------------------------------------------


def weekly_streak(session: Session, *, member_id: int, series_id: int) -> list[Challenge] | None:
    """Four consecutive challenges of a weekly series the member entered, or None.

    Consecutive: neighbours in the series ordered by opening, opening 7 days apart (a
    monthly series never qualifies); "entered": the member has a work standing in each.
    """
    series = list(
        session.exec(
            select(Challenge)
            .where(Challenge.series_id == series_id)
            .order_by(col(Challenge.submissions_open_at), col(Challenge.id))
        )
    )
    entered = set(
        session.exec(
            select(Submission.challenge_id).where(
                Submission.member_id == member_id,
                col(Submission.challenge_id).in_([c.id for c in series]),
            )
        )
    )
    return _longest_run(series, entered)


def _longest_run(series: Sequence[Challenge], entered: set[int]) -> list[Challenge] | None:
    run: list[Challenge] = []
    for challenge in series:
        weekly = bool(run) and (
            challenge.submissions_open_at - run[-1].submissions_open_at == timedelta(weeks=1)
        )
        if challenge.id not in entered:
            run = []
            continue
        run = [*run, challenge] if weekly else [challenge]
        if len(run) >= STREAK_LENGTH:
            return run[-STREAK_LENGTH:]
    return None
