"""A creator hears about each inquiry at once, with enough of it to decide to reply."""

from __future__ import annotations

from sqlmodel import Session

from app.core.domain_events import InquiryReceived, subscribe
from app.i18n import N_
from app.models import Inquiry
from app.notifications.service import notify


@subscribe(InquiryReceived)
def tell_creator(session: Session, event: InquiryReceived) -> None:
    inquiry = session.get(Inquiry, event.inquiry_id)
    assert inquiry is not None
    notify(
        session,
        member_id=inquiry.member_id,
        type="inquiry.received",
        title=N_("New inquiry from {name}"),
        body=N_("{name} <{email}> wrote: {message}"),
        values={"name": inquiry.name, "email": inquiry.email, "message": inquiry.message},
        inquiry_id=inquiry.id,
    )
