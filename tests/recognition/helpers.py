"""Recognition test data: domain events published as the features publish them, and
activities recorded at chosen times (for periods and analytics)."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import Session, col, select

from app.core import domain_events
from app.core.domain_events import CommentCreated, DomainEvent, Subscriber
from app.models import Activity, Badge, ContributionKind, Member
from app.models.recognition import ContributionCount
from app.recognition import service, subscribers
from tests.factories import publish_only_to

_sources = iter(range(1_000_000, 2_000_000))
E = TypeVar("E", bound=DomainEvent)


def id_of(member: Member) -> int:
    assert member.id is not None
    return member.id


def comment_created(
    member_id: int | None, comment_id: int, *, on_work_of: int = 9
) -> CommentCreated:
    """A member's comment on a work of someone else (`on_work_of`), as comments publish it."""
    return CommentCreated(
        actor_id=member_id,
        comment_id=comment_id,
        submission_id=5,
        submission_author_id=on_work_of,
        submission_title="A work",
        body="Lovely.",
    )


def publish(app: FastAPI, event: DomainEvent) -> None:
    """Publishes a domain event in its own committed transaction, as a request would."""
    with Session(app.state.engine) as session:
        domain_events.publish(session, event)
        session.commit()


def publish_to_recognition(app: FastAPI, event: DomainEvent) -> None:
    """An event of the conversation features, heard by recognition's subscribers only."""
    publish_only_to(app.state.engine, subscribers, event)


def deliver(app: FastAPI, subscriber: Subscriber[E], event: E) -> None:
    """Hands an event to one recognition subscriber only (the other features' subscribers
    would look for rows these tests do not create)."""
    with Session(app.state.engine) as session:
        subscriber(session, event)
        session.commit()


def record(
    app: FastAPI,
    member: Member | int,
    kind: ContributionKind,
    at: datetime,
    *,
    source_id: int | None = None,
) -> None:
    member_id = member if isinstance(member, int) else member.id
    assert member_id is not None
    with Session(app.state.engine) as session:
        service.record(
            session,
            member_id=member_id,
            kind=kind,
            source_id=next(_sources) if source_id is None else source_id,
            occurred_at=at,
        )
        session.commit()


def activities(session: Session, member_id: int | None) -> list[Activity]:
    session.rollback()  # a fresh snapshot: the read transaction may predate the writes
    return list(session.exec(select(Activity).where(Activity.member_id == member_id)))


def badge_codes(session: Session, member_id: int | None) -> list[str | None]:
    session.rollback()  # a fresh snapshot: the read transaction may predate the writes
    return list(
        session.exec(select(Badge.code).where(Badge.member_id == member_id).order_by(col(Badge.id)))
    )


def points_of(session: Session, member_id: int | None) -> int:
    session.rollback()  # a fresh snapshot: the read transaction may predate the writes
    points: int = session.execute(
        sa.select(col(Member.points)).where(col(Member.id) == member_id)
    ).scalar_one()
    return points


def counts_of(session: Session, member_id: int | None) -> dict[str, int]:
    """The member's kept counts per kind, checked against their activities first."""
    session.rollback()  # a fresh snapshot: the read transaction may predate the writes
    kept = session.execute(
        sa.select(col(ContributionCount.kind), col(ContributionCount.count)).where(
            col(ContributionCount.member_id) == member_id
        )
    ).all()
    counted = session.execute(
        sa.select(col(Activity.kind), sa.func.count())
        .where(col(Activity.member_id) == member_id)
        .group_by(col(Activity.kind))
    ).all()
    standing = {kind: count for kind, count in kept if count}
    assert standing == dict(counted)
    return standing
