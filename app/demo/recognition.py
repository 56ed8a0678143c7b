"""The demo community's history: five months of contributions that tell a story.

The other demo parts play out today's events, challenges, projects and mentorships through
their services, which record today's contributions. This part gives the community its past
so that the analytics have something to say: regulars contributing week after week, members
fading (busy for months, nearly quiet for the last thirty days), lapsed members silent for
two months, readers who never contributed, and a few newcomers who have not yet begun.

History is recorded through the same `record()` as live contributions (so points, the
leaderboard and the badges' counts agree), as conversation the demo has no rows for
(comments, posts, threads, ideas) and past event attendance. Those sources get negative ids:
real rows' ids are positive, so a demo history entry can never block a real contribution's
points. Join dates are moved back before each member's first contribution. Deterministic
for a seed; `seed-demo` runs once per database (see app.demo.community).
"""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta

import sqlalchemy as sa
from rich.progress import Progress
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.core.db import NO_SYNC
from app.core.tables import id_of
from app.demo import roster
from app.models import ContributionKind, Member, MemberPoints, PeriodKind, Role
from app.principal.changes import principals_changed
from app.recognition import badges, service

HISTORY_DAYS = 150
# The kinds of a past contribution, as often as members make them.
PAST_KINDS = [
    ContributionKind.COMMENT,
    ContributionKind.COMMENT,
    ContributionKind.COMMENT,
    ContributionKind.POST,
    ContributionKind.POST,
    ContributionKind.THREAD,
    ContributionKind.IDEA,
    ContributionKind.EVENT_ATTENDED,
]


def seed_history(
    session: Session,
    rng: random.Random,
    *,
    quiet: list[Member],
    progress: Progress,
) -> dict[str, int]:
    """Records the past of every community member; returns how many members of each kind.

    Everyone the other demo parts involved today is a regular or fading. The `quiet`
    members, who joined the demo after today's events, become in turn lapsed, readers who
    never contributed, and newcomers.
    """
    now = utcnow()
    quiet_ids = {m.id for m in quiet}
    crowd = roster.crowd(session)
    cast = [
        (m, "regular" if rng.random() < 0.7 else "fading") for m in crowd if m.id not in quiet_ids
    ]
    personas = ["lapsed", "reader", "newcomer"]
    cast += [(member, personas[n % 3]) for n, member in enumerate(quiet)]
    sources = itertools.count(-1, -1)
    entries: list[service.PastContribution] = []
    story: dict[str, int] = {}
    task = progress.add_task("History", total=len(cast))
    for member, persona in cast:
        story[persona] = story.get(persona, 0) + 1
        history = [(at, rng.choice(PAST_KINDS)) for at in _moments(rng, persona, now)]
        entries += [
            service.PastContribution(member.id, kind, next(sources), at)  # type: ignore[arg-type]
            for at, kind in history
        ]
        _earn_badges(session, member, history)
        _move_join_date(session, rng, member, persona, [at for at, _ in history], now)
        progress.advance(task)
    service.record_history(session, entries)
    _award_last_month(session, now)
    return story


def _earn_badges(
    session: Session, member: Member, history: list[tuple[datetime, ContributionKind]]
) -> None:
    """The badges the history earns, as the subscribers would have awarded them then."""
    rules = [
        (
            ContributionKind.COMMENT,
            badges.COMMENTS_NEEDED,
            badges.TEN_COMMENTS,
            "ten comments on members' works, the tenth on {:%Y-%m-%d}",
        ),
        (
            ContributionKind.EVENT_ATTENDED,
            badges.EVENTS_NEEDED,
            badges.FIVE_EVENTS,
            "five events attended, the fifth on {:%Y-%m-%d}",
        ),
    ]
    for counted, needed, code, reason in rules:
        times = [at for at, kind in history if kind == counted]
        if len(times) >= needed:
            at = times[needed - 1]
            badges.award(
                session, member_id=id_of(member), code=code, reason=reason.format(at), at=at
            )


def _award_last_month(session: Session, now: datetime) -> None:
    """The organizers' award to last month's most active member."""
    last_month = (now.replace(day=1) - timedelta(days=1)).date().replace(day=1)
    top = session.exec(
        select(MemberPoints)
        .where(
            MemberPoints.period_kind == PeriodKind.MONTH, MemberPoints.period_start == last_month
        )
        .order_by(col(MemberPoints.points).desc(), col(MemberPoints.member_id))
    ).first()
    organizer = session.exec(select(Member).where(Member.role == Role.ORGANIZER)).first()
    winner = session.get(Member, top.member_id) if top is not None else None
    if winner is None or organizer is None:
        return
    badges.grant(
        session,
        organizer=organizer,
        member=winner,
        title=f"Most active member, {last_month:%B %Y}",
        note=f"{top.points} points of comments, posts, works and votes in {last_month:%B}.",  # type: ignore[union-attr]
    )


def _persona(rng: random.Random, *, has_today: bool) -> str:
    roll = rng.random()
    if has_today:  # took part in today's demo: a regular, or fading despite today
        return "regular" if roll < 0.7 else "fading"
    if roll < 0.35:
        return "lapsed"
    return "newcomer" if roll < 0.55 else "reader"


def _moments(rng: random.Random, persona: str, now: datetime) -> list[datetime]:
    """When the member contributed, day by day over the history."""
    rate = {"regular": 0.35, "fading": 0.45, "lapsed": 0.3}.get(persona, 0.0)
    moments = []
    for days_ago in range(HISTORY_DAYS, 0, -1):
        if persona == "fading" and days_ago <= 30:
            daily = 0.02  # a contribution or none in the last month
        elif persona == "lapsed" and days_ago <= 60:
            daily = 0.0
        else:
            daily = rate
        if rng.random() < daily:
            minutes = rng.randint(8 * 60, 23 * 60)  # waking hours, UTC
            moments.append(now - timedelta(days=days_ago) + timedelta(minutes=minutes - 12 * 60))
    return moments


def _move_join_date(
    session: Session,
    rng: random.Random,
    member: Member,
    persona: str,
    moments: list[datetime],
    now: datetime,
) -> None:
    if persona == "newcomer":
        joined = now - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
    elif moments:
        joined = min(moments) - timedelta(days=rng.randint(1, 60))
    else:
        joined = now - timedelta(days=rng.randint(40, 400))
    session.execute(
        sa.update(Member).where(col(Member.id) == member.id).values(joined_at=joined),
        execution_options=NO_SYNC,
    )
    principals_changed(session, member_ids=[member.id])  # type: ignore[list-item]
