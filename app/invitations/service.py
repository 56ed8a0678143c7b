from __future__ import annotations

import secrets
from datetime import timedelta

from sqlmodel import Session, select

from app.audit import service as audit
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.errors import NotFound
from app.core.pagination import PageParams, desc, paginate
from app.i18n import N_
from app.models import Invitation, Member
from app.problems.details import does_not_exist


class InvitationNotFound(NotFound):
    code = "invitation_not_found"


def create_invitation(session: Session, settings: Settings, *, creator: Member) -> Invitation:
    invitation = Invitation(
        code=secrets.token_urlsafe(12),
        created_by_id=creator.id,
        expires_at=utcnow() + timedelta(days=settings.invitation_days),
    )
    session.add(invitation)
    session.flush()
    audit.record(
        session,
        actor=creator,
        action="invitation.created",
        target_type="invitation",
        target_id=invitation.id,  # type: ignore[arg-type]
        changes=audit.diff({}, {"expires_at": invitation.expires_at}),
    )
    return invitation


def list_invitations(
    session: Session, *, params: PageParams
) -> tuple[list[Invitation], str | None]:
    return paginate(session, select(Invitation), keys=[desc(Invitation.id)], params=params)


def get_invitation(session: Session, *, invitation_id: int) -> Invitation:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        raise does_not_exist(InvitationNotFound, N_("Invitation"), invitation_id)
    return invitation
