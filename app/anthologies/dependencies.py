"""Load-or-404 for the anthology in the path: drafts exist only for organizers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.anthologies import service
from app.core.db import SessionDep
from app.core.openapi import declares
from app.core.types import IdPath
from app.models import Anthology
from app.principal.dependencies import OptionalMember, OrganizerMember


@declares(404)
def visible_anthology(
    session: SessionDep, viewer: OptionalMember, anthology_id: IdPath
) -> Anthology:
    return service.get_visible(session, anthology_id=anthology_id, viewer=viewer)


@declares(404)
def locked_anthology(
    session: SessionDep, organizer: OrganizerMember, anthology_id: IdPath
) -> Anthology:
    """The anthology, locked for an organizer's edit."""
    return service.lock(session, anthology_id=anthology_id, viewer=organizer)


AnthologyDep = Annotated[Anthology, Depends(visible_anthology)]
LockedAnthologyDep = Annotated[Anthology, Depends(locked_anthology)]
