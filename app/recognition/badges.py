"""Badges: earned automatically by the rules below, or granted by organizers as awards.

An automatic badge is inserted with ON CONFLICT DO NOTHING on the unique (member_id, code),
so each is awarded once however often (or concurrently) its rule is met; `badge.awarded`
is published only for the row actually inserted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, partial
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.core.db import upsert_insert
from app.core.domain_events import BadgeAwarded, publish
from app.core.pagination import PageParams, desc, paginate
from app.i18n import N_
from app.models import Activity, Badge, BadgeKind, Challenge, ContributionKind, Member, Submission
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


def _bound() -> dict[str, sa.BindParameter[Any]]:
    return {
        name: sa.bindparam(name, type_=_BADGES.c[name].type)
        for name in ("member_id", "code", "title", "reason", "awarded_at")
    }


def _build_award(insert: Any) -> Any:
    """The automatic badge's INSERT … ON CONFLICT DO NOTHING RETURNING id, values bound."""
    return (
        insert(_BADGES)
        .values(kind=BadgeKind.AUTOMATIC, **_bound())
        .on_conflict_do_nothing(index_elements=["member_id", "code"])
        .returning(_BADGES.c.id)
    )


def _build_award_for_count(insert: Any) -> Any:
    """The same, inserted only when the member has `needed` contributions of `contribution`:
    INSERT … SELECT … WHERE (SELECT count(*) …) >= needed, the count and the badge in one
    statement."""
    values = _bound()
    given = (
        sa.select(sa.func.count())
        .select_from(_ACTIVITIES)
        .where(
            _ACTIVITIES.c.member_id == values["member_id"],
            _ACTIVITIES.c.kind == sa.bindparam("contribution", type_=_ACTIVITIES.c.kind.type),
        )
        .scalar_subquery()
    )
    rows = sa.select(
        sa.literal(BadgeKind.AUTOMATIC, type_=_BADGES.c.kind.type), *values.values()
    ).where(given >= sa.bindparam("needed", type_=sa.Integer))
    return (
        insert(_BADGES)
        .from_select(["kind", *values], rows)
        .on_conflict_do_nothing(index_elements=["member_id", "code"])
        .returning(_BADGES.c.id)
    )


_BADGES = cast(sa.Table, Badge.__table__)  # type: ignore[attr-defined]
_ACTIVITIES = cast(sa.Table, Activity.__table__)  # type: ignore[attr-defined]


# Built once, at first use, for the running dialect only.
@cache
def _award(dialect: str) -> Any:
    return _build_award(partial(upsert_insert, dialect))


@cache
def _award_for_count(dialect: str) -> Any:
    return _build_award_for_count(partial(upsert_insert, dialect))


def award(session: Session, *, member_id: int, code: str, reason: str, at: datetime) -> bool:
    """Awards an automatic badge once; True when it was awarded now."""
    return _awarded(session, _award, _values(member_id, code, reason, at))


def award_for_count(
    session: Session,
    *,
    member_id: int,
    code: str,
    contribution: ContributionKind,
    needed: int,
    reason: str,
    at: datetime,
) -> bool:
    """Awards an automatic badge once the member has `needed` contributions of a kind (the
    count and the insert in one statement); True when it was awarded now."""
    values = _values(member_id, code, reason, at)
    values |= {"contribution": contribution.value, "needed": needed}
    return _awarded(session, _award_for_count, values)


def _values(member_id: int, code: str, reason: str, at: datetime) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "code": code,
        "title": TITLES[code],
        "reason": reason[:2000],
        "awarded_at": at,
    }


def _awarded(session: Session, statement_of: Callable[[str], Any], values: dict[str, Any]) -> bool:
    statement = statement_of(session.get_bind().dialect.name)
    # On the Session's connection: a Core statement needs no ORM execution around it.
    badge_id = session.connection().execute(statement, values).scalar_one_or_none()
    if badge_id is None:
        return False
    member_id, code = values["member_id"], values["code"]
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
