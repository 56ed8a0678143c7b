"""What lands in members' notification feeds when something happens."""

from __future__ import annotations

from sqlmodel import Session

from app.core.db import tell_after_commit
from app.core.domain_events import AnnouncementPublished, MemberJoined, subscribe
from app.i18n import N_
from app.models import Member, Role
from app.notifications.service import EVERYONE, LIVE_TOPIC, notify, notify_role


@subscribe(MemberJoined)
def welcome_newcomer(session: Session, event: MemberJoined) -> None:
    member = session.get(Member, event.member_id)
    assert member is not None and member.id is not None
    notify(
        session,
        member_id=member.id,
        type="member.welcome",
        title=N_("Welcome to Sanggar, {name}!"),
        body=N_(
            "A few first steps: complete your profile (bio and disciplines), join an event, "
            "give feedback on someone's work, cast a vote in a challenge, submit your first "
            "work, or find a mentor."
        ),
        values={"name": member.display_name},
        # Where a client finds the same steps as a checklist that ticks itself off.
        first_steps_url="/api/v1/members/me/first-steps",
    )
    notify_role(
        session,
        roles=(Role.ORGANIZER, Role.ADMIN),
        exclude_id=member.id,
        type="member.joined",
        title=N_("{member} joined"),
        body=N_("Say hello and help them find their first event or challenge."),
        values={"member": f"{member.display_name} (@{member.handle})"},
        member_id=member.id,
    )


@subscribe(AnnouncementPublished)
def wake_streams(session: Session, _event: AnnouncementPublished) -> None:
    """An announcement reaches feeds on read; open streams are woken to read it (after the
    commit), which copies it into their member's feed."""
    tell_after_commit(session, LIVE_TOPIC, [EVERYONE])
