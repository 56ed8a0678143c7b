from __future__ import annotations

from fastapi import Request, Response

from app.core.db import SessionDep
from app.core.deps import SettingsDep
from app.core.http import CONDITIONAL_GET_RESPONSES, json_response
from app.core.openapi import problems
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.core.types import IdPath
from app.invitations import service
from app.invitations.schemas import InvitationPage, InvitationPublic
from app.principal.dependencies import CreationDep, OrganizerMember

router = ResourceRouter(prefix="/invitations", tags=["invitations"])


@router.post("", status_code=201, response_model=InvitationPublic, summary="Create an invitation")
def invitations_create(
    session: SessionDep, settings: SettingsDep, organizer: OrganizerMember, creation: CreationDep
) -> Response:
    """A single-use registration code (organizers and admins), valid for SANGGAR_INVITATION_DAYS."""
    invitation = service.create_invitation(session, settings, creator=organizer)
    public = InvitationPublic.model_validate(invitation, from_attributes=True)
    return creation.created(public, location=f"/api/v1/invitations/{invitation.id}")


@router.get("", response_model=InvitationPage, summary="List invitations")
def invitations_list(
    session: SessionDep, _organizer: OrganizerMember, page: PageParamsDep
) -> InvitationPage:
    """All invitation codes, newest first, with who used them."""
    invitations, next_cursor = service.list_invitations(session, params=page)
    items = [InvitationPublic.model_validate(i, from_attributes=True) for i in invitations]
    return InvitationPage(items=items, next_cursor=next_cursor)


@router.get(
    "/{invitation_id}",
    response_model=InvitationPublic,
    summary="Get an invitation",
    responses=CONDITIONAL_GET_RESPONSES | problems(404),
)
def invitations_get(
    request: Request, session: SessionDep, _organizer: OrganizerMember, invitation_id: IdPath
) -> Response:
    """One invitation code and whether it was used."""
    invitation = service.get_invitation(session, invitation_id=invitation_id)
    return json_response(request, InvitationPublic.model_validate(invitation, from_attributes=True))
