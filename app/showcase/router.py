from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from app.core.db import SessionDep, quick_read
from app.core.http import CONDITIONAL_GET_RESPONSES, json_response
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.showcase import service
from app.showcase.schemas import ShowcaseFilters, ShowcasePage

router = ResourceRouter(prefix="/showcase", tags=["showcase"])


@router.get(
    "",
    response_model=ShowcasePage,
    summary="Browse the public showcase",
    responses=CONDITIONAL_GET_RESPONSES,
)
@quick_read()
def showcase_list(
    request: Request,
    session: SessionDep,
    page: PageParamsDep,
    filters: Annotated[ShowcaseFilters, Query()],
) -> Response:
    """Winners and featured works of closed challenges, newest first; public. Anonymous
    responses are cached for a few seconds (`Cache-Control`); revalidate with the ETag."""
    works, next_cursor = service.list_showcase(session, discipline=filters.discipline, params=page)
    page_model = ShowcasePage(items=service.present(session, works), next_cursor=next_cursor)
    return json_response(request, page_model)
