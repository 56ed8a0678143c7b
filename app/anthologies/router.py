from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from app.anthologies import card, epub, pictures, service
from app.anthologies.dependencies import AnthologyDep, LockedAnthologyDep
from app.anthologies.schemas import (
    AnthologyCreate,
    AnthologyPage,
    AnthologyPublic,
    AnthologyUpdate,
)
from app.core.db import SessionDep
from app.core.deps import SettingsDep
from app.core.http import (
    CONDITIONAL_GET_RESPONSES,
    CONDITIONAL_WRITE_RESPONSES,
    etag_of,
    holds_current,
    json_response,
    require_current,
)
from app.core.openapi import problems
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.core.types import IdPath
from app.principal.dependencies import CreationDep, OptionalMember, OrganizerMember

router = ResourceRouter(prefix="/anthologies", tags=["anthologies"])
# The share card is a view of a work, so it lives under /submissions.
cards_router = ResourceRouter(prefix="/submissions", tags=["submissions"])

CARD_MEDIA_TYPE = "image/png"
CARD_MAX_AGE = 3600
CARD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A 1080×1080 PNG share card.",
        "content": {CARD_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "ETag": {"description": "Version of this card.", "schema": {"type": "string"}},
            "Cache-Control": {"description": "Public, cacheable.", "schema": {"type": "string"}},
        },
    },
    304: {"description": "Not modified: the `If-None-Match` ETag is current."},
}


def _binary(request: Request, body: bytes, *, media_type: str, headers: dict[str, str]) -> Response:
    etag = etag_of(body)
    if holds_current(request, etag):
        return Response(status_code=304, headers={"ETag": etag, **headers})
    return Response(body, media_type=media_type, headers={"ETag": etag, **headers})


@router.post(
    "",
    status_code=201,
    response_model=AnthologyPublic,
    summary="Create an anthology",
    responses=problems(409),
)
def anthologies_create(
    session: SessionDep, organizer: OrganizerMember, data: AnthologyCreate, creation: CreationDep
) -> Response:
    """Organizers choose works, or the winners of closed challenges (`challenge_ids`);
    works without their author's consent or disqualified are listed in `excluded`. Naming a
    work that does not exist is a 422 that lists the unknown ids."""
    anthology = service.create_anthology(session, organizer=organizer, data=data)
    public = service.present(session, anthology, viewer=organizer)
    return creation.created(public, location=f"/api/v1/anthologies/{anthology.id}")


@router.get("", response_model=AnthologyPage, summary="List anthologies")
def anthologies_list(
    session: SessionDep, viewer: OptionalMember, page: PageParamsDep
) -> AnthologyPage:
    """Published anthologies, newest first, for everyone; organizers also see drafts."""
    rows, next_cursor = service.list_anthologies(session, viewer=viewer, params=page)
    return AnthologyPage(items=service.present_summaries(session, rows), next_cursor=next_cursor)


# Declared before /{anthology_id} so that "/anthologies/7.epub" is not read as an id.
@router.get(
    "/{anthology_id}.epub",
    response_class=Response,
    summary="Download the anthology as an EPUB book",
    responses=epub.EPUB_RESPONSES,
)
def anthologies_epub(
    request: Request, session: SessionDep, settings: SettingsDep, anthology: AnthologyDep
) -> Response:
    """An EPUB 3 book of the works in the anthology now (consent is checked again)."""
    body = epub.build(service.book(session, anthology=anthology, settings=settings))
    disposition = f'attachment; filename="anthology-{anthology.id}.epub"'
    return _binary(
        request, body, media_type=epub.MEDIA_TYPE, headers={"Content-Disposition": disposition}
    )


@router.get(
    "/{anthology_id}",
    response_model=AnthologyPublic,
    summary="Get an anthology",
    responses=CONDITIONAL_GET_RESPONSES,
)
def anthologies_get(
    request: Request, session: SessionDep, viewer: OptionalMember, anthology: AnthologyDep
) -> Response:
    """The anthology with its works in book order; drafts are visible to organizers only."""
    return json_response(request, service.present(session, anthology, viewer=viewer))


@router.patch(
    "/{anthology_id}",
    response_model=AnthologyPublic,
    summary="Update an anthology",
    responses=CONDITIONAL_WRITE_RESPONSES | problems(409, 412),
)
def anthologies_update(
    request: Request,
    session: SessionDep,
    organizer: OrganizerMember,
    anthology: LockedAnthologyDep,
    changes: AnthologyUpdate,
) -> Response:
    """Organizers edit, reorder or replace the works and publish; send `If-Match`."""
    require_current(request, service.present(session, anthology, viewer=organizer))
    anthology = service.update_anthology(
        session, anthology=anthology, changes=changes, actor=organizer
    )
    return json_response(request, service.present(session, anthology, viewer=organizer))


@router.delete(
    "/{anthology_id}", status_code=204, summary="Delete an anthology", responses=problems(404)
)
def anthologies_delete(
    session: SessionDep, organizer: OrganizerMember, anthology: LockedAnthologyDep
) -> Response:
    """Organizers delete an anthology; the works themselves stay."""
    service.delete_anthology(session, anthology=anthology, actor=organizer)
    return Response(status_code=204)


@cards_router.get(
    "/{submission_id}/card.png",
    response_class=Response,
    summary="Get a work's share card",
    responses=CARD_RESPONSES | problems(404),
)
def submissions_card(
    request: Request, session: SessionDep, settings: SettingsDep, submission_id: IdPath
) -> Response:
    """A 1080×1080 PNG for social media, for winning and featured works of closed
    challenges (else 404); public and cacheable. A work with an image shows its first
    image above the text."""
    text = service.share_card_text(session, submission_id=submission_id, settings=settings)
    headers = {"Cache-Control": f"public, max-age={CARD_MAX_AGE}"}
    etag = etag_of(repr((card.CARD_VERSION, text)).encode())
    if holds_current(request, etag):
        return Response(status_code=304, headers={"ETag": etag, **headers})
    picture = pictures.load(settings, text.picture) if text.picture else None
    return Response(
        card.share_card(text, picture),
        media_type=CARD_MEDIA_TYPE,
        headers={"ETag": etag, **headers},
    )
