"""Inquiries: prospective clients reach creators who are open for commissions."""

from __future__ import annotations

from sqlmodel import Session, select

from app.core.domain_events import InquiryReceived, publish
from app.core.pagination import PageParams, desc, paginate
from app.i18n import N_
from app.inquiries.exceptions import InquiryNotFound, NotOpenForCommissions
from app.inquiries.schemas import InquiryCreate
from app.members import service as members
from app.models import Inquiry, Member
from app.problems.details import does_not_exist


def create_inquiry(
    session: Session, *, member_id: int, data: InquiryCreate, sender: Member | None
) -> Inquiry:
    """Only to active members open for commissions; the member is notified."""
    member = members.get_visible(session, member_id=member_id, viewer=None)
    if not member.open_for_commissions:
        raise NotOpenForCommissions(
            N_("@{handle} is not taking commissions at the moment."),
            values={"handle": member.handle},
        )
    inquiry = Inquiry(
        member_id=member_id,
        name=data.name,
        email=str(data.email),
        message=data.message,
        sender_id=sender.id if sender is not None else None,
    )
    session.add(inquiry)
    session.flush()
    assert inquiry.id is not None  # flushed
    publish(
        session,
        InquiryReceived(actor_id=inquiry.sender_id, inquiry_id=inquiry.id, member_id=member_id),
    )
    return inquiry


def list_inquiries(
    session: Session, *, member: Member, params: PageParams
) -> tuple[list[Inquiry], str | None]:
    statement = select(Inquiry).where(Inquiry.member_id == member.id)
    return paginate(session, statement, keys=[desc(Inquiry.id)], params=params)


def get_inquiry(session: Session, *, member: Member, inquiry_id: int) -> Inquiry:
    inquiry = session.get(Inquiry, inquiry_id)
    if inquiry is None or inquiry.member_id != member.id:
        raise does_not_exist(InquiryNotFound, N_("Inquiry"), inquiry_id)
    return inquiry
