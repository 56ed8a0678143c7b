from __future__ import annotations

from fastapi import Response

from app.core.db import SessionDep
from app.core.openapi import problems
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.core.types import IdPath
from app.inquiries import service
from app.inquiries.schemas import InquiryCreate, InquiryPage, InquiryPublic
from app.principal.dependencies import CreationDep, CurrentMember, OptionalMember

# Inquiries are addressed to members, so they live under /members with that tag.
router = ResourceRouter(prefix="/members", tags=["members"])


@router.post(
    "/{member_id}/inquiries",
    status_code=201,
    response_model=InquiryPublic,
    summary="Send an inquiry to a creator",
    responses=problems(404, 409),
)
def members_create_inquiry(
    session: SessionDep,
    sender: OptionalMember,
    member_id: IdPath,
    data: InquiryCreate,
    creation: CreationDep,
) -> Response:
    """Anyone, logged in or not, may write to a member open for commissions (rate-limited)."""
    inquiry = service.create_inquiry(session, member_id=member_id, data=data, sender=sender)
    public = InquiryPublic.model_validate(inquiry, from_attributes=True)
    return creation.created(public, location=f"/api/v1/members/me/inquiries/{inquiry.id}")


@router.get("/me/inquiries", response_model=InquiryPage, summary="List my inquiries")
def members_list_inquiries(
    session: SessionDep, member: CurrentMember, page: PageParamsDep
) -> InquiryPage:
    """Inquiries from prospective clients, newest first."""
    rows, next_cursor = service.list_inquiries(session, member=member, params=page)
    items = [InquiryPublic.model_validate(row, from_attributes=True) for row in rows]
    return InquiryPage(items=items, next_cursor=next_cursor)


@router.get(
    "/me/inquiries/{inquiry_id}",
    response_model=InquiryPublic,
    summary="Get one of my inquiries",
    responses=problems(404),
)
def members_get_inquiry(
    session: SessionDep, member: CurrentMember, inquiry_id: IdPath
) -> InquiryPublic:
    """One inquiry sent to the caller."""
    inquiry = service.get_inquiry(session, member=member, inquiry_id=inquiry_id)
    return InquiryPublic.model_validate(inquiry, from_attributes=True)
