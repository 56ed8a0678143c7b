from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.core.db import SessionDep
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.mentors import service
from app.mentors.schemas import MentorFilters, MentorPage, MentorSuggestionList
from app.principal.dependencies import CurrentMember

router = ResourceRouter(prefix="/mentors", tags=["mentors"])


@router.get("", response_model=MentorPage, summary="List mentors")
def mentors_list(
    session: SessionDep,
    member: CurrentMember,
    page: PageParamsDep,
    filters: Annotated[MentorFilters, Query()],
) -> MentorPage:
    """Members whose mentor profile is open, by member id; filter by topic or free spots."""
    profiles, next_cursor = service.list_mentors(session, filters=filters, params=page)
    items = service.present_mentors(session, profiles, viewer=member)
    return MentorPage(items=items, next_cursor=next_cursor)


@router.get("/suggestions", response_model=MentorSuggestionList, summary="Suggest mentors for me")
def mentors_suggestions(
    session: SessionDep, member: CurrentMember, page: PageParamsDep
) -> MentorSuggestionList:
    """Open mentors with a free spot, ranked for the caller: most topics matching their
    disciplines and skills, then most spots left, then same city, then member id."""
    items, next_cursor = service.suggest_mentors(session, member=member, params=page)
    return MentorSuggestionList(items=items, next_cursor=next_cursor)
