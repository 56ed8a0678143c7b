from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.challenges import service
from app.core.db import SessionDep, quickly
from app.core.openapi import declares
from app.core.types import IdPath
from app.models import Challenge
from app.principal.dependencies import OptionalMember


@declares(404)
async def visible_challenge(
    session: SessionDep, viewer: OptionalMember, challenge_id: IdPath
) -> Challenge:
    """The challenge in the path, or 404 (drafts exist only for organizers)."""
    return await quickly(
        session, service.get_visible, session, challenge_id=challenge_id, viewer=viewer
    )


VisibleChallenge = Annotated[Challenge, Depends(visible_challenge)]
