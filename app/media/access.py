"""Who may see a media besides its owner: a registry the attaching features fill.

Media cannot import the features that attach it (submissions, members, events, challenges,
projects import media, not the other way round), so each of them registers, at import, a
check `(session, media_id, viewer) -> bool` answering "is this media attached to something
of mine that this viewer (None: anonymous) may see?". The metadata and content endpoints
let a caller who is not the owner through when any registered check says yes; otherwise the
media is a 404 `media_not_found`, exactly as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from app.models import Media, Member

VisibilityCheck = Callable[[Session, int, Member | None], bool]

_checks: list[VisibilityCheck] = []


def register(check: VisibilityCheck) -> VisibilityCheck:
    """Adds a check (usable as a decorator); registering the same function twice adds it once."""
    if check not in _checks:
        _checks.append(check)
    return check


def unregister(check: VisibilityCheck) -> None:
    if check in _checks:
        _checks.remove(check)


def registered() -> tuple[VisibilityCheck, ...]:
    return tuple(_checks)


def may_see(session: Session, media: Media, viewer: Member | None) -> bool:
    """The owner always; anyone else when a registered check says the media is shown to them."""
    if viewer is not None and viewer.id == media.owner_id:
        return True
    assert media.id is not None
    return any(check(session, media.id, viewer) for check in _checks)
