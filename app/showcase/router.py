from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.db import SessionDep
from app.core.pagination import PageParamsDep
from app.showcase import service
from app.showcase.schemas import ShowcaseFilters, ShowcasePage

router = APIRouter(prefix="/showcase", tags=["showcase"])


@router.get("", response_model=ShowcasePage, summary="Browse the public showcase")
def showcase_list(
    session: SessionDep, page: PageParamsDep, filters: Annotated[ShowcaseFilters, Query()]
) -> ShowcasePage:
    """Winners and featured works of closed challenges, newest first; public."""
    works, next_cursor = service.list_showcase(session, discipline=filters.discipline, params=page)
    return ShowcasePage(items=service.present(session, works), next_cursor=next_cursor)
