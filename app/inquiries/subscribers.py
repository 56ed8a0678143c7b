"""A creator hears about each inquiry at once, with enough of it to decide to reply."""

from __future__ import annotations

from sqlmodel import Session

from app.core.domain_events import InquiryReceived, subscribe
from app.models import Inquiry
from app.notifications.service import notify


def clip(text: str, limit: int) -> str:
    """Fits text made from user input into its column."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@subscribe(InquiryReceived)
def tell_creator(session: Session, event: InquiryReceived) -> None:
    inquiry = session.get(Inquiry, event.inquiry_id)
    assert inquiry is not None
    notify(
        session,
        member_id=inquiry.member_id,
        type="inquiry.received",
        title=clip(f"New inquiry from {inquiry.name}", 200),
        body=clip(f"{inquiry.name} <{inquiry.email}> wrote: {inquiry.message}", 2000),
        inquiry_id=inquiry.id,
    )
