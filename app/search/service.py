"""Searching the index: the words, who may see what, the ranking and its keyset pages.

The ranking is the database's own relevance (`ts_rank_cd` over the weighted tsvector on
PostgreSQL, `bm25()` of FTS5 on SQLite, titles weighing more than bodies), rounded to six
decimals, then type and id: a total order, so a page's cursor (score, type, id of its last
item) continues exactly after it while the index does not change.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.core.clock import utcnow
from app.core.pagination import InvalidCursor, PageParams, encode_cursor
from app.core.tables import UTCDateTime
from app.core.types import MAX_INT
from app.models import Member, SearchType, is_organizer
from app.search import text
from app.search.schemas import SearchItem

TITLE_WEIGHT, BODY_WEIGHT = 4.0, 1.0


@dataclass(frozen=True)
class _Hit:
    doc_type: str
    doc_id: int
    title: str
    body: str
    score: float


def search(
    session: Session,
    *,
    q: str,
    types: Sequence[SearchType] | None,
    viewer: Member | None,
    params: PageParams,
) -> tuple[list[SearchItem], str | None]:
    query = text.parse(q)
    after = _decode(params.cursor) if params.cursor is not None else None
    if query.empty:  # only punctuation or operators: nothing to look for
        return [], None
    conditions, values = _conditions(types, viewer, after)
    if session.get_bind().dialect.name == "postgresql":
        hits = _postgres(session, query, conditions, values, params.limit + 1)
    else:
        hits = _sqlite(session, query, conditions, values, params.limit + 1)
    more = len(hits) > params.limit
    hits = hits[: params.limit]
    items = [_present(hit, query) for hit in hits]
    next_cursor = None
    if more and hits:
        last = hits[-1]
        next_cursor = encode_cursor([last.score, last.doc_type, last.doc_id])
    return items, next_cursor


def _conditions(
    types: Sequence[SearchType] | None, viewer: Member | None, after: tuple[float, str, int] | None
) -> tuple[list[str], dict[str, Any]]:
    conditions: list[str] = []
    values: dict[str, Any] = {}
    if viewer is None:
        conditions.append("d.public_from <= :now")
        values["now"] = utcnow()
    elif not is_organizer(viewer):
        conditions.append("d.members_from <= :now")
        values["now"] = utcnow()
    if types:
        conditions.append("d.doc_type IN :types")
        values["types"] = sorted({t.value for t in types})
    if after is not None:
        conditions.append(
            "(s.score < :after_score OR (s.score = :after_score AND "
            "(d.doc_type > :after_type OR (d.doc_type = :after_type AND d.doc_id > :after_id))))"
        )
        values.update(after_score=after[0], after_type=after[1], after_id=after[2])
    return conditions, values


def _statement(sql: str, values: dict[str, Any]) -> sa.TextClause:
    statement = sa.text(sql)
    if "now" in values:
        statement = statement.bindparams(sa.bindparam("now", type_=UTCDateTime()))
    if "types" in values:
        statement = statement.bindparams(sa.bindparam("types", expanding=True))
    return statement


def _sqlite(
    session: Session, query: text.Query, conditions: list[str], values: dict[str, Any], limit: int
) -> list[_Hit]:
    where = " AND ".join(conditions) or "1 = 1"
    sql = f"""
        SELECT d.doc_type, d.doc_id, d.title, d.body, s.score
        FROM (
            SELECT rowid AS rid,
                   round(-bm25(search_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}), 6) AS score
            FROM search_fts WHERE search_fts MATCH :match
        ) AS s JOIN search_documents AS d ON d.id = s.rid
        WHERE {where}
        ORDER BY s.score DESC, d.doc_type, d.doc_id
        LIMIT :limit
    """  # noqa: S608 (only fixed text and placeholders are put together)
    values = {**values, "match": text.fts5_match(query), "limit": limit}
    rows = session.connection().execute(_statement(sql, values), values)
    return [_Hit(r[0], r[1], r[2], r[3], float(r[4])) for r in rows]


def _postgres(
    session: Session, query: text.Query, conditions: list[str], values: dict[str, Any], limit: int
) -> list[_Hit]:
    parts = []
    values = dict(values)
    raw = [sorted(group, key=len)[0] for group in query.groups]  # any word of the group
    for index, (simple, word) in enumerate(zip(text.tsquery_simple(query), raw, strict=True)):
        parts.append(
            f"(to_tsquery('simple', :s{index}) || plainto_tsquery('indonesian', :w{index})"
            f" || plainto_tsquery('english', :w{index}))"
        )
        values[f"s{index}"] = simple
        values[f"w{index}"] = word
    tsquery = " && ".join(parts)
    where = " AND ".join(conditions) or "TRUE"
    if "after_score" in values:
        values["after_score"] = str(values["after_score"])
        where = where.replace(":after_score", "CAST(:after_score AS numeric)")
    sql = f"""
        SELECT d.doc_type, d.doc_id, d.title, d.body, s.score
        FROM (
            SELECT sd.id AS rid,
                   round(ts_rank_cd('{{0.1, 0.2, {BODY_WEIGHT / 10}, {TITLE_WEIGHT / 10}}}',
                                    sd.document, q.query)::numeric, 6) AS score
            FROM search_documents AS sd, (SELECT {tsquery} AS query) AS q
            WHERE sd.document @@ q.query
        ) AS s JOIN search_documents AS d ON d.id = s.rid
        WHERE {where}
        ORDER BY s.score DESC, d.doc_type, d.doc_id
        LIMIT :limit
    """  # noqa: S608 (only fixed text and placeholders are put together)
    values["limit"] = limit
    rows = session.connection().execute(_statement(sql, values), values)
    return [_Hit(r[0], r[1], r[2], r[3], float(r[4])) for r in rows]


def _present(hit: _Hit, query: text.Query) -> SearchItem:
    marked, found = text.snippet(hit.body, query) if hit.body else ("", False)
    if not found:
        title_marked, title_found = text.snippet(hit.title, query)
        if title_found or not marked:
            marked = title_marked
    return SearchItem(
        type=SearchType(hit.doc_type),
        id=hit.doc_id,
        title=hit.title,
        snippet=marked,
        score=hit.score,
    )


def _decode(cursor: str) -> tuple[float, str, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError) as error:
        raise InvalidCursor("The cursor is not one this API issued.") from error
    if (
        isinstance(values, list)
        and len(values) == 3
        and isinstance(values[0], int | float)
        and not isinstance(values[0], bool)
        and math.isfinite(values[0])
        and abs(values[0]) < 1e9
        and values[1] in {t.value for t in SearchType}
        and isinstance(values[2], int)
        and not isinstance(values[2], bool)
        and 0 <= values[2] <= MAX_INT
    ):
        return round(float(values[0]), 6), values[1], values[2]
    raise InvalidCursor("The cursor is not one this API issued.")
