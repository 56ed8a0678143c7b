"""What the media feature's events make happen: the owner hears that an upload failed."""

from __future__ import annotations

from sqlmodel import Session

from app.core.domain_events import MediaProcessingFailed, subscribe
from app.i18n import N_
from app.notifications import service as notifications

PROCESSING_FAILED = "media.processing_failed"


@subscribe(MediaProcessingFailed)
def notify_owner_of_failed_processing(session: Session, event: MediaProcessingFailed) -> None:
    notifications.notify(
        session,
        member_id=event.owner_id,
        type=PROCESSING_FAILED,
        title=N_("An upload could not be processed"),
        body=N_(
            "Your upload {media_id} could not be used: {reason} "
            "Upload the file again, exported in another format."
        ),
        values={"media_id": event.media_id, "reason": event.reason},
        media_id=event.media_id,
    )
