"""Who the demo plays with: the demo organizer and the crowd of members and mentors."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.models import Member, Role


def organizer(session: Session) -> Member:
    """The staff account the demo community is seeded with, which organizes everything."""
    return session.exec(select(Member).where(Member.handle_key == "demo_organizer")).one()


def crowd(session: Session) -> list[Member]:
    """Members and mentors, in id order: the seed picks from the same list on every database."""
    statement = (
        select(Member)
        .where(col(Member.role).in_([Role.MEMBER, Role.MENTOR]))
        .order_by(col(Member.id))
    )
    return list(session.exec(statement))
