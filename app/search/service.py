"""Searching the index: the words, who may see what, the ranking and its keyset pages.

The ranking is a BM25 score computed in Python over the candidates' stored terms, the same
on both databases (app/search/ranking.py), then type and id: a total order.

Bounded work for common words: a page ranks at most `CANDIDATES` matches, the newest ones
in index order (search_documents.id, the order rows entered the index), read where the
database walks its matches (FTS5 returns them by rowid; PostgreSQL walks the primary key
backwards and checks each row, or collects a rare word's few matches from the GIN index,
whichever its statistics say is cheaper). Only rows the caller may see and of the asked
kinds are candidates. A search with fewer matches than that (nearly every real search) is
ranked as a whole. A search with more is ranked block by block: the newest `CANDIDATES`
matches best first, then the next older block best first, and so on; the cursor (the
block's upper id bound, then score, type and id of the last item) continues exactly after
the last item while the index does not change, and no page costs more than two blocks.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
from sqlmodel import Session

from app.core.clock import utcnow
from app.core.pagination import InvalidCursor, PageParams, encode_cursor
from app.core.tables import UTCDateTime
from app.core.types import MAX_INT
from app.models import Member, SearchType, is_organizer
from app.readmodels import as_sqlalchemy_raises
from app.search import text
from app.search.ranking import SAMPLE, Ranking
from app.search.schemas import SearchItem

# The matches ranked together (see above): enough that the first pages of a common word are
# its best recent ones, few enough that ranking them stays a few milliseconds.
CANDIDATES = 500


class _Candidate(NamedTuple):  # a tuple: made 500 at a time, faster than a dataclass
    row_id: int  # search_documents.id: the position in index order
    doc_type: str
    doc_id: int
    score: float

    @property
    def rank(self) -> tuple[float, str, int]:
        """Sorts best first: higher score, then type, then id."""
        return (-self.score, self.doc_type, self.doc_id)


@dataclass(frozen=True)
class _Position:
    """Where a page ended: the block it was in (ids below `top`) and its last item's rank."""

    top: int
    rank: tuple[float, str, int]


@dataclass(frozen=True)
class _Filter:
    """Who searches and for which kinds: the same rows are candidates on every page."""

    audience: str | None  # "public_from", "members_from" or None (organizers see all)
    types: list[str]


def search(
    session: Session,
    *,
    q: str,
    types: Sequence[SearchType] | None,
    viewer: Member | None,
    params: PageParams,
) -> tuple[list[SearchItem], str | None]:
    query = text.parse(q)
    position = _decode(params.cursor) if params.cursor is not None else None
    if query.empty:  # only punctuation or operators: nothing to look for
        return [], None
    audience = None if viewer is not None and is_organizer(viewer) else "members_from"
    where = _Filter(
        audience="public_from" if viewer is None else audience,
        types=sorted({t.value for t in types or ()}),
    )
    fetch: Callable[[int | None], list[_Candidate]]
    if _on_postgres(session):
        expanded = _prefix_terms(session, query.prefix)
        simple = text.tsquery_simple(query, expanded)
        tsqueries = [_tsquery(query, simple, index) for index in range(len(query.groups))]
        sample = _postgres_sample(session, tsqueries, where)
        ranking = Ranking.of(query, sample.newest, sample.counts)
        rare = min(sample.counts) * RARE < min(SAMPLE, sample.newest)
        exact = expanded is not None  # no `:*` prefix in the tsquery
        fetch = partial(_postgres, session, tsqueries, where, ranking, rare, exact, sample.walk)
    else:
        connection = session.connection()
        newest = connection.execute(sa.text("SELECT max(id) FROM search_documents")).scalar() or 0
        words = _fts5_words(session, query)
        ranking = Ranking.of(query, newest, _sqlite_sample(session, words, newest))
        fetch = partial(_sqlite, session, " AND ".join(words), where, ranking)
    page = _page(fetch, position, params.limit + 1)
    shown = page[: params.limit]
    texts = _texts(session, [candidate.row_id for _, candidate in shown])
    items = [_present(candidate, *texts[candidate.row_id], query) for _, candidate in shown]
    next_cursor = None
    if len(page) > params.limit:
        top, last = shown[-1]
        next_cursor = encode_cursor([top, last.score, last.doc_type, last.doc_id])
    return items, next_cursor


def _page(
    fetch: Callable[[int | None], list[_Candidate]], position: _Position | None, wanted: int
) -> list[tuple[int, _Candidate]]:
    """Up to `wanted` candidates after `position`, each with the upper bound of its block.
    A block that runs out before the page is full hands over to the next older block."""
    top = position.top if position is not None else None
    after = position.rank if position is not None else None
    page: list[tuple[int, _Candidate]] = []
    while len(page) < wanted:
        block = fetch(top)  # newest first
        if not block:
            break
        block_top = block[0].row_id + 1
        ranked = sorted(block, key=lambda candidate: candidate.rank)
        if after is not None:
            ranked = [candidate for candidate in ranked if candidate.rank > after]
        page.extend((block_top, candidate) for candidate in ranked[: wanted - len(page)])
        if len(block) < CANDIDATES:  # the oldest block: nothing further
            break
        top, after = block[-1].row_id, None
    return page


def _values(where: _Filter) -> dict[str, Any]:
    values: dict[str, Any] = {"candidates": CANDIDATES}
    if where.audience is not None:
        values["now"] = utcnow()
    if where.types:
        values["types"] = where.types
    return values


def _run(session: Session, ranking: Ranking, sql: str, values: dict[str, Any]) -> list[_Candidate]:
    """Rows of (id, type, doc id, title terms, body terms), scored (SQLite)."""
    rows = list(session.connection().execute(_statement(sql, values), values))
    return _scored(ranking, rows)


def _scored(ranking: Ranking, rows: Sequence[Sequence[Any]]) -> list[_Candidate]:
    scores = ranking.scores([(r[3], r[4]) for r in rows])
    return [_Candidate(r[0], r[1], r[2], score) for r, score in zip(rows, scores, strict=True)]


# --- SQLite ----------------------------------------------------------------------------------

# FTS5's prefix indexes go up to 4 letters (migration 0017); FTS5 answers a longer prefix by
# merging every doclist it begins before returning a row, and PostgreSQL's GIN index collects
# every posting of every term it begins, so such a prefix becomes its terms.
PREFIX_INDEXED = 4
# A prefix beginning more terms than this is left to FTS5 (rare: 5 letters shared by many words).
PREFIX_TERMS = 64


def _fts5_words(session: Session, query: text.Query) -> list[str]:
    """Each word as an FTS5 expression over the title and body."""
    expanded = _prefix_terms(session, query.prefix)
    last = len(query.groups) - 1
    words = [text.fts5_word(group) for group in query.groups[:last]]
    if expanded is None:
        words.append(text.fts5_word(query.groups[last], query.prefix))
    else:
        words.append(text.fts5_word(query.groups[last] | set(expanded)))
    return ["{title body} : " + word for word in words]


def _prefix_terms(session: Session, prefix: str) -> list[str] | None:
    """The indexed terms a prefix longer than FTS5's prefix indexes begins, if few
    (search_fts_terms, migrations 0025 and 0026)."""
    if len(prefix) <= PREFIX_INDEXED:
        return None
    values = {"prefix": prefix, "end": prefix + chr(0x10FFFF), "limit": PREFIX_TERMS + 1}
    if _on_postgres(session):
        sql = "SELECT term FROM search_fts_terms WHERE term >= %(prefix)s AND term < %(end)s"
        terms = [term for (term,) in _rows(session, sql + " ORDER BY term LIMIT %(limit)s", values)]
    else:
        sql = "SELECT term FROM search_fts_terms WHERE term >= :prefix AND term < :end"
        found = session.connection().execute(sa.text(sql + " ORDER BY term LIMIT :limit"), values)
        terms = list(found.scalars())
    return terms if len(terms) <= PREFIX_TERMS else None


_SQLITE_SAMPLE = sa.text(
    "SELECT count(*) FROM search_fts WHERE search_fts MATCH :match AND rowid > :floor"
)


def _sqlite_sample(session: Session, words: list[str], newest: int) -> list[int]:
    """Each word's matches among the newest rows (FTS5 seeks to the bound)."""
    connection = session.connection()
    return [
        connection.execute(_SQLITE_SAMPLE, {"match": word, "floor": newest - SAMPLE}).scalar_one()
        for word in words
    ]


def _sqlite(
    session: Session, match: str, where: _Filter, ranking: Ranking, top: int | None
) -> list[_Candidate]:
    """The newest `CANDIDATES` matches below `top` the caller may see, newest first: FTS5
    walks the matches by rowid, newest first, and stops at the bound (nothing asks it for a
    count of all matches); a row's kind and whether it is public are words of its `access`
    column, matched with the query's words, and the time is checked on the joined row."""
    values = _values(where)
    # Anonymous callers walk the public rows only; members' rows are nearly every row.
    access = ["public"] if where.audience == "public_from" else []
    if where.types:
        access.append("(" + " OR ".join(where.types) + ")")
    values["match"] = " AND ".join([match, *(f"access : {part}" for part in access)])
    conditions = [f"d.{where.audience} <= :now"] if where.audience is not None else []
    if top is not None:
        conditions.append("search_fts.rowid < :top")
        values["top"] = top
    sql = f"""
        SELECT search_fts.rowid, d.doc_type, d.doc_id, d.title_terms, d.body_terms
        FROM search_fts JOIN search_documents AS d ON d.id = search_fts.rowid
        WHERE search_fts MATCH :match {"".join(f" AND {c}" for c in conditions)}
        ORDER BY search_fts.rowid DESC
        LIMIT :candidates
    """  # noqa: S608 (only fixed text and placeholders are put together)
    return _run(session, ranking, sql, values)


# --- PostgreSQL ------------------------------------------------------------------------------

# How many of the newest visible rows are read and checked one by one first.
WALK = 4 * CANDIDATES
# How much wider than the matches' share predicts the spans of older ids are: the GIN index
# reads a span in time proportional to its width, and a span that falls short is followed by
# a wider one before the whole index below is read.
SPAN_MARGINS = (1.5, 2.0)
# A word that fewer than one in this many of the newest rows have is looked up in the GIN
# index at once: few matches in all.
RARE = 100


def _tsquery(query: text.Query, simple: list[str], index: int) -> tuple[str, dict[str, str]]:
    """A word as a tsquery: its terms and prefix (`simple`) or its stems in either language."""
    word = sorted(query.groups[index], key=len)[0]  # any word of the group
    sql = (
        f"(to_tsquery('simple', %(s{index})s) || plainto_tsquery('indonesian', %(w{index})s)"
        f" || plainto_tsquery('english', %(w{index})s))"
    )
    return sql, {f"s{index}": simple[index], f"w{index}": word}


@dataclass(frozen=True)
class _Walked:
    """The first stage of the first block, read with the sample: its lowest id, how many
    visible rows it checked, and the matches among them (unscored rows, newest first)."""

    floor: int
    count: int
    rows: Sequence[Sequence[Any]]


@dataclass(frozen=True)
class _Sample:
    newest: int  # the highest id
    counts: list[int]  # each word's matches among the rows above `newest - SAMPLE`
    walk: _Walked | None  # None: those rows are not the first stage's (some hidden, gaps)


def _postgres_sample(
    session: Session, tsqueries: list[tuple[str, dict[str, str]]], where: _Filter
) -> _Sample:
    """Each word's matches among the newest rows, in one pass over them, which also tells
    each row's visibility and whether it matches every word: when those rows are the
    newest `WALK` visible ones, the first stage of the first block is done with them."""
    flags = ", ".join(f"document @@ {sql} AS w{index}" for index, (sql, _) in enumerate(tsqueries))
    counts = ", ".join(f"count(*) FILTER (WHERE w{index})" for index in range(len(tsqueries)))
    every = " AND ".join(f"w{index}" for index in range(len(tsqueries)))
    values: dict[str, Any] = {**_values(where), "sample": SAMPLE}
    for _, own in tsqueries:
        values.update(own)
    # The newest rows walked backwards on the primary key: the planner cannot estimate a
    # bound taken from max(id), the LIMIT makes the walk its plan.
    sql = f"""
        WITH s AS MATERIALIZED (
            SELECT id, {" AND ".join(_visible(where)) or "TRUE"} AS v, {flags}
            FROM search_documents
            WHERE id > (SELECT max(id) FROM search_documents) - %(sample)s
            ORDER BY id DESC LIMIT %(sample)s
        ), a AS (
            SELECT max(id), min(id), count(*) AS n, count(*) FILTER (WHERE v) AS visible, {counts}
            FROM s
        )
        SELECT a.*, d.id, d.doc_type, d.doc_id, d.title_terms, d.body_terms
        FROM a LEFT JOIN LATERAL (
            SELECT id FROM s WHERE a.visible = a.n AND v AND {every}
            ORDER BY id DESC LIMIT %(candidates)s
        ) AS h ON TRUE LEFT JOIN search_documents AS d ON d.id = h.id
        ORDER BY d.id DESC
    """  # noqa: S608 (only fixed text and placeholders are put together)
    rows = _rows(session, sql, values)
    newest, floor, count, visible, *sampled = rows[0][: 4 + len(tsqueries)]
    if not count:
        return _Sample(0, [0] * len(tsqueries), None)
    matches = [r[4 + len(tsqueries) :] for r in rows if r[4 + len(tsqueries)] is not None]
    # The newest WALK visible rows: every one of these rows, and no other below them.
    first = visible == count and (count == WALK or (count < WALK and newest <= SAMPLE))
    walk = _Walked(floor, count, matches) if first else None
    return _Sample(newest, sampled, walk)


def _postgres(
    session: Session,
    tsqueries: list[tuple[str, dict[str, str]]],
    where: _Filter,
    ranking: Ranking,
    rare: bool,
    exact: bool,
    first: _Walked | None,
    top: int | None,
) -> list[_Candidate]:
    """PostgreSQL cannot read a GIN index in id order, and its estimate of how many rows a
    word matches is too rough to choose a plan on (a last word's prefix is guessed at 0.5 %
    of the table, whatever it matches), so the search goes in stages, each bounded:

    1. check the newest `WALK` visible rows one by one (the primary key backwards): a word in
       more than a quarter of the rows has its candidates here;
    2. otherwise, from the share of those rows that matched, the span of older ids that
       should hold the rest (if it falls short, a wider one below it): read from the GIN
       index, which holds the id (only the span's part of each term's postings), or, when a
       word is a prefix (`:*`, for which GIN collects every posting of every term it
       begins), walked newest first;
    3. whatever is still missing (the estimate fell short), or for a word hardly any of
       those rows had (under 1 %: few matches in all), the GIN index below that.

    A word that hardly any of the newest rows have (`rare`, from the ranking's sample) goes
    to the GIN index at once. The first block's first stage may come with the sample
    (`first`).
    """
    values = _values(where)
    for _, own in tsqueries:
        values.update(own)
    tsquery = "(" + " && ".join(sql for sql, _ in tsqueries) + ")"
    visible = _visible(where)
    bounds = [*visible, "id < %(top)s"] if top is not None else visible
    if rare:
        below = ["id + 0 < %(top)s"] if top is not None else []
        gin = _newest([*visible, f"document @@ {tsquery}", *below], order="id + 0")
        return _scored(ranking, _rows(session, gin, {**values, "top": top}))
    walked = first if top is None and first is not None else None
    if walked is None:
        walked = _walk(session, {**values, "top": top}, bounds, tsquery)
    if not walked.count:
        return []
    floor = walked.floor
    found = _scored(ranking, walked.rows)
    if len(found) == CANDIDATES or walked.count < WALK:  # enough, or no older row to look at
        return found
    span = [*visible, f"document @@ {tsquery}"]
    # An upper bound read from the GIN index is a filter: GIN would read ids from the lowest.
    gin_floor = "id + 0 < %(floor)s"
    if len(found) >= WALK // 100:  # enough matches to tell their share
        checked = WALK  # the rows (then ids) whose matches are known
        # Read from the GIN index (which holds the id: migration 0026), only the span's part
        # of each posting list. Seeing a LIMIT in id order, the planner would rather walk the
        # primary key backwards and check every row of the span.
        off = ("enable_indexscan",) if exact else ()
        for margin in SPAN_MARGINS:
            missing = CANDIDATES - len(found)
            reach = math.ceil(missing * checked / len(found) * margin)
            sql = _newest([*span, gin_floor if exact else "id < %(floor)s", "id >= %(reach)s"])
            values = {**values, "floor": floor, "reach": floor - reach, "candidates": missing}
            found += _scored(ranking, _rows(session, sql, values, off=off))
            if len(found) == CANDIDATES or floor - reach <= 0:
                return found
            floor -= reach
            checked += reach
    gin = _newest([*span, gin_floor], order="id + 0")  # not the primary key's order: GIN
    values = {**values, "floor": floor, "candidates": CANDIDATES - len(found)}
    return found + _scored(ranking, _rows(session, gin, values))


def _walk(session: Session, values: dict[str, Any], bounds: list[str], tsquery: str) -> _Walked:
    """The first stage: the newest `WALK` visible rows below the block's bound, and which of
    them match."""
    newest = f"""
        SELECT min(id), count(*) FROM (
            SELECT id FROM search_documents WHERE {" AND ".join(bounds) or "TRUE"}
            ORDER BY id DESC LIMIT %(walk)s
        ) AS w
    """  # noqa: S608 (only fixed text and placeholders are put together)
    [(floor, count)] = _rows(session, newest, {**values, "walk": WALK})
    if not count:
        return _Walked(0, 0, [])
    match = _newest([*bounds, "id >= %(floor)s", f"ts_match_vq(document, {tsquery})"])
    return _Walked(floor, count, _rows(session, match, {**values, "floor": floor}))


def _rows(
    session: Session, sql: str, values: dict[str, Any], *, off: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """A statement's rows, the statement sent in one message with its values bound in the
    client (psycopg's ClientCursor, which quotes them; the simple query protocol), with
    the planner settings `off` turned off for it alone.

    Why not SQLAlchemy's execute: a GET's Session is in autocommit on PostgreSQL
    (app.core.db.read_only), where a `SET LOCAL` sent on its own does nothing; sent in one
    message with the statement it holds for that message (an implicit transaction block),
    and in an explicit transaction it is put back after the statement. A statement so sent
    is never prepared, so it is planned for its own words every time (a generic plan would
    not know how many rows they match). And it costs less client CPU: a 500-row statement
    about half of SQLAlchemy's (bench/SEARCH.md)."""
    import psycopg  # loaded with the PostgreSQL engine anyway; a SQLite worker never needs it

    connection = session.connection()
    settings = [f"SET LOCAL {name} = off" for name in off]
    restore = [f"SET LOCAL {name} TO DEFAULT" for name in off]
    message = ";".join([*settings, sql, *restore])
    try:
        driver = cast("psycopg.Connection[Any]", connection.connection.driver_connection)
        with psycopg.ClientCursor(driver) as cursor:
            cursor.execute(message, values)
            for _ in settings:  # their results come first
                cursor.nextset()
            return cursor.fetchall()
    except psycopg.Error as error:
        raise as_sqlalchemy_raises(connection, message, values, error) from error


def _visible(where: _Filter) -> list[str]:
    conditions = []
    if where.audience is not None:
        conditions.append(f"{where.audience} <= %(now)s")
    if where.types:
        conditions.append("doc_type = ANY(%(types)s)")
    return conditions


def _newest(conditions: list[str], *, order: str = "id") -> str:
    """The newest matches under these conditions, with what ranks them."""
    return f"""
        SELECT id, doc_type, doc_id, title_terms, body_terms FROM search_documents
        WHERE {" AND ".join(conditions)}
        ORDER BY {order} DESC
        LIMIT %(candidates)s
    """  # noqa: S608 (only fixed text and placeholders are put together)


def _statement(sql: str, values: dict[str, Any]) -> sa.TextClause:
    statement = sa.text(sql)
    if "now" in values:
        statement = statement.bindparams(sa.bindparam("now", type_=UTCDateTime()))
    return statement


def _texts(session: Session, row_ids: list[int]) -> dict[int, tuple[str, str]]:
    """The shown title and body of a page's rows (read for these only, not every candidate)."""
    if not row_ids:
        return {}
    sql = "SELECT id, title, body FROM search_documents WHERE id "
    if _on_postgres(session):
        rows: Sequence[Sequence[Any]] = _rows(session, sql + "= ANY(%(ids)s)", {"ids": row_ids})
    else:
        statement = sa.text(sql + "IN :ids").bindparams(sa.bindparam("ids", expanding=True))
        rows = list(session.connection().execute(statement, {"ids": row_ids}))
    return {r[0]: (r[1], r[2]) for r in rows}


def _on_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _present(candidate: _Candidate, title: str, body: str, query: text.Query) -> SearchItem:
    marked, found = text.snippet(body, query) if body else ("", False)
    if not found:
        title_marked, title_found = text.snippet(title, query)
        if title_found or not marked:
            marked = title_marked
    return SearchItem(
        type=SearchType(candidate.doc_type),
        id=candidate.doc_id,
        title=title,
        snippet=marked,
        score=candidate.score,
    )


def _decode(cursor: str) -> _Position:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError) as error:
        raise InvalidCursor("The cursor is not one this API issued.") from error
    if (
        isinstance(values, list)
        and len(values) == 4
        and _is_id(values[0])
        and isinstance(values[1], int | float)
        and not isinstance(values[1], bool)
        and math.isfinite(values[1])
        and abs(values[1]) < 1e9
        and values[2] in {t.value for t in SearchType}
        and _is_id(values[3])
    ):
        return _Position(values[0], (-round(float(values[1]), 6), values[2], values[3]))
    raise InvalidCursor("The cursor is not one this API issued.")


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_INT
