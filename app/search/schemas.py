from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.pagination import Page
from app.core.types import Title
from app.models import SearchType

MAX_QUERY_LENGTH = 200

SEARCH_ITEM_EXAMPLE: dict[str, Any] = {
    "type": "submission",
    "id": 318,
    "title": "Pasar pagi di Yogyakarta",
    "snippet": "…sebuah <mark>tulisan</mark> tentang pasar pagi, cahaya dan suara…",
    "score": 0.412,
}

SearchQuery = Annotated[Title, StringConstraints(max_length=MAX_QUERY_LENGTH)]


class SearchItem(BaseModel):
    """A thing found. `id` is its id in its own resource (`/members/{id}`, `/submissions/{id}`,
    `/threads/{id}`, `/posts/{id}`, `/events/{id}`, `/projects/{id}`, `/ideas/{id}`)."""

    model_config = ConfigDict(json_schema_extra={"examples": [SEARCH_ITEM_EXAMPLE]})

    type: SearchType
    id: int
    title: str = Field(
        description="Plain text (not escaped): the name, title, or a post's thread title."
    )
    snippet: str = Field(
        description="HTML: a piece of the text around the first match, every other character "
        "escaped, each matched word in `<mark>…</mark>`, `…` where the text was cut."
    )
    score: float = Field(description="Relevance, higher first (comparable within one search).")


class SearchPage(Page[SearchItem]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [SEARCH_ITEM_EXAMPLE], "next_cursor": None}]}
    )
