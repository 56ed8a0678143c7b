from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.core.db import SessionDep
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.models import SearchType
from app.principal.dependencies import OptionalMember
from app.search import service
from app.search.schemas import SearchPage, SearchQuery

router = ResourceRouter(prefix="/search", tags=["search"])


@router.get("", response_model=SearchPage, summary="Search everything")
def search_query(
    session: SessionDep,
    viewer: OptionalMember,
    page: PageParamsDep,
    q: Annotated[
        SearchQuery,
        Query(
            description="Words to look for (1–200 characters). Every word must match, in any "
            "of its Indonesian or English forms and without regard to accents; the last "
            "word also matches as the beginning of a word (search as you type). "
            "Punctuation and operators are ordinary characters.",
            examples=["menulis puisi"],
        ),
    ],
    type: Annotated[
        list[SearchType] | None,
        Query(
            description="Only these kinds of things (repeat the parameter for several).",
            examples=[["submission", "event"]],
        ),
    ] = None,
) -> SearchPage:
    """Members, works, threads, posts, events, projects and ideas that match, best first.
    Only what the caller may see is found: anonymous callers find public profiles,
    published events and the works of closed challenges; members also threads, posts,
    projects, ideas and the works of running challenges; organizers also drafts. Hidden,
    deleted and erased things are never found."""
    items, next_cursor = service.search(session, q=q, types=type, viewer=viewer, params=page)
    return SearchPage(items=items, next_cursor=next_cursor)
