"""Works as the API shows them: the read model of `GET /submissions/{id}` and of a
challenge's pages of works, and the rules of who sees what that every view of a work uses.

The reads run statements built once, in Core, on a connection (app.readmodels): their rows
go straight into `SubmissionPublic`, with no entity loaded and nothing read per work. A
work is read with its author, its challenge's dates and whether it has files in one
statement, its files (if any) in a second; a page of works with their authors in one, the
files of those that have some in another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from app.challenges import judging
from app.challenges import service as challenges
from app.challenges.exceptions import ChallengeNotFound
from app.challenges.schemas import ChallengePhase
from app.core.clock import utcnow
from app.core.pagination import PageParams, asc, decode_cursor, encode_cursor
from app.i18n import N_
from app.media.schemas import MediaOut
from app.models import Challenge, Member, Submission, is_organizer
from app.problems.details import does_not_exist
from app.readmodels import ReadStatement
from app.submissions.attachments import HAS_FILES, files_of
from app.submissions.exceptions import SubmissionNotFound, WorksHiddenUntilClosed
from app.submissions.schemas import SubmissionAuthor, SubmissionPage, SubmissionPublic

# A row of any of the statements below (their columns are read by name).
Row = sa.Row[*tuple[Any, ...]]

WORKS = cast(sa.Table, Submission.__table__)  # type: ignore[attr-defined]
_CHALLENGES = cast(sa.Table, Challenge.__table__)  # type: ignore[attr-defined]
_MEMBERS = cast(sa.Table, Member.__table__)  # type: ignore[attr-defined]

# A work's columns as shown (disqualified also decides who sees it).
_WORK = tuple(
    WORKS.c[name]
    for name in (
        "id",
        "challenge_id",
        "member_id",
        "title",
        "description",
        "content",
        "media_urls",
        "license",
        "anthology_consent",
        "vote_count",
        "featured",
        "disqualified",
        "is_winner",
        "moderation_reason",
        "created_at",
        "updated_at",
    )
)
# Each of those columns (an entity's attributes) under its name in SubmissionPublic.
_SHOWN = tuple(("winner" if column.key == "is_winner" else column.key, column) for column in _WORK)
# What a work shows of its author (the author's id is the work's member_id).
_AUTHOR = tuple(
    _MEMBERS.c[name] for name in ("handle", "display_name", "avatar_url", "open_for_commissions")
)
# What the phase, the visibility and blind judging read of the challenge.
_CHALLENGE = tuple(
    _CHALLENGES.c[name]
    for name in (
        "published",
        "submissions_open_at",
        "submissions_close_at",
        "voting_close_at",
        "judging",
    )
)
_WITH_AUTHOR = WORKS.join(_MEMBERS, _MEMBERS.c.id == WORKS.c.member_id)


class _JSONText(sa.types.UserDefinedType[Any]):
    """A work's `media_urls` as its reads decode it: orjson on the JSON text (sa.JSON's
    processors on SQLite are two Python calls around json.loads; psycopg's loader of a
    `json` column calls json.loads, 5x orjson's time on a work's list of URLs)."""

    cache_ok = True

    def result_processor(self, _dialect: Dialect, _coltype: object) -> Any:
        return _json_or_none


def _json_or_none(text: str | None) -> Any:
    """NULL: the row of no work that PostgreSQL's page of a challenge without works reads."""
    return None if text is None else orjson.loads(text)


# The work's columns under SubmissionPublic's names, so that a row becomes its fields by zip;
# its files' URLs as their JSON text (UTCDateTime's timestamps need nothing on PostgreSQL).
_LISTED = tuple(
    sa.type_coerce(sa.cast(column, sa.Text), _JSONText()).label(field)
    if field == "media_urls"
    else column.label(field)
    for field, column in _SHOWN
)

_ONE_WORK = ReadStatement(
    sa.select(*_LISTED, WORKS.c.hidden_at, HAS_FILES, *_AUTHOR, *_CHALLENGE)
    .select_from(_WITH_AUTHOR.join(_CHALLENGES, _CHALLENGES.c.id == WORKS.c.challenge_id))
    .where(WORKS.c.id == sa.bindparam("submission_id"))
)
AUTHORS = sa.select(_MEMBERS.c.id.label("member_id"), *_AUTHOR).where(
    _MEMBERS.c.id.in_(sa.bindparam("member_ids", expanding=True))
)
_ONE_CHALLENGE = ReadStatement(
    sa.select(*_CHALLENGE).where(_CHALLENGES.c.id == sa.bindparam("challenge_id"))
)


# --- who sees what -------------------------------------------------------------------------


def require_readable(challenge: challenges.Dated, *, viewer: Member | None) -> None:
    """Anonymous visitors see works once the challenge is closed; members at any phase."""
    if viewer is None and challenges.phase_of(challenge, utcnow()) != ChallengePhase.CLOSED:
        raise WorksHiddenUntilClosed()


def sees(work: Submission | Row, viewer: Member | None) -> bool:
    """Members see disqualified works (flagged, so voters can take their votes back);
    the public never does. A work hidden after a report is for organizers only."""
    if work.disqualified and viewer is None:
        return False
    return work.hidden_at is None or is_organizer(viewer)


def _listed_for(viewer: Member | None) -> str:
    """Which of the page statements below applies the rules of `sees` for this viewer."""
    if viewer is None:
        return "public"
    return "organizer" if is_organizer(viewer) else "member"


def _page_statements(
    columns: tuple[sa.ColumnElement[Any], ...],
) -> dict[tuple[str, bool], sa.Select[Any]]:
    """A challenge's works in the order they were entered, one statement per viewer kind
    (the rules of `sees` in SQL) and per page (the first, or those after a cursor)."""
    listed = (
        sa.select(*columns, HAS_FILES, *_AUTHOR)
        .select_from(_WITH_AUTHOR)
        .where(WORKS.c.challenge_id == sa.bindparam("challenge_id"))
        .order_by(WORKS.c.id)
        .limit(sa.bindparam("limit"))
    )
    shown = {
        "public": listed.where(WORKS.c.disqualified.is_(False), WORKS.c.hidden_at.is_(None)),
        "member": listed.where(WORKS.c.hidden_at.is_(None)),
        "organizer": listed,
    }
    after = WORKS.c.id > sa.bindparam("after")
    return {
        (kind, later): statement.where(after) if later else statement
        for kind, statement in shown.items()
        for later in (False, True)
    }


def _with_challenge(works: sa.Select[Any]) -> sa.Select[Any]:
    """The challenge's columns, then the works' (a row of NULLs when there are none): one
    statement where the challenge's own cost a fifth of the page on PostgreSQL. Only the
    first row carries the challenge's values, the others NULLs that cost nothing to read.
    (On SQLite, which answers in-process, the join and its sort cost more than a second
    statement: there the challenge is read first, alone.)"""
    page = works.add_columns(sa.func.row_number().over(order_by=WORKS.c.id).label("n")).subquery()
    first = sa.func.coalesce(page.c.n, 1) == 1
    return (
        sa.select(
            *(sa.case((first, column)).label(column.key) for column in _CHALLENGE),
            *(column for column in page.c if column.key != "n"),
        )
        .select_from(_CHALLENGES.outerjoin(page, sa.true()))
        .where(_CHALLENGES.c.id == sa.bindparam("challenge_id"))
        .order_by(page.c.id)
    )


class _SQLiteTimestamp(sa.types.UserDefinedType[datetime]):
    """A work's timestamp as SQLite's page reads it: its text straight to an aware datetime,
    in one call (UTCDateTime's TypeDecorator: three calls and a `replace` per value)."""

    cache_ok = True

    def result_processor(self, _dialect: Dialect, _coltype: object) -> Any:
        return _utc_timestamp


def _utc_timestamp(value: str) -> datetime:
    """The naive UTC text UTCDateTime stores on SQLite, aware (`replace` costs 6x this)."""
    return datetime.fromisoformat(value + "+00:00")


# On SQLite the page's timestamps are decoded by the type above (its files' URLs as in
# `_LISTED`); the values, and so the page's bytes, are those the columns' own types give.
_SQLITE_TIMESTAMPS = ("created_at", "updated_at")
_SQLITE_LISTED = tuple(
    sa.type_coerce(column, _SQLiteTimestamp()).label(field)
    if field in _SQLITE_TIMESTAMPS
    else label
    for label, (field, column) in zip(_LISTED, _SHOWN, strict=True)
)

_PAGES = {
    key: ReadStatement(statement) for key, statement in _page_statements(_SQLITE_LISTED).items()
}
_JOINED_PAGES = {
    key: ReadStatement(_with_challenge(statement))
    for key, statement in _page_statements(_LISTED).items()
}
_PAGE_KEYS = [asc(Submission.id)]


# --- presenting ------------------------------------------------------------------------------


def _author_fields(work: Mapping[Any, Any]) -> dict[str, Any]:
    """What a work (a row's mapping, or a page's work) shows of its author."""
    return {
        "id": work["member_id"],
        "handle": work["handle"],
        "display_name": work["display_name"],
        "avatar_url": work["avatar_url"],
        "open_for_commissions": work["open_for_commissions"],
    }


def author_of(row: Row) -> SubmissionAuthor:
    return SubmissionAuthor.model_validate(_author_fields(row._mapping))


@dataclass(slots=True)  # not frozen: a frozen one is slower to make
class _Viewing:
    """What one viewer is shown of the works of one challenge, decided once for a page."""

    viewer_id: int | None
    organizer: bool
    closed: bool
    blind: bool

    @classmethod
    def of(cls, viewer: Member | None, *, closed: bool, blind: bool) -> _Viewing:
        viewer_id = viewer.id if viewer is not None else None
        return cls(viewer_id, is_organizer(viewer), closed, blind)

    def apply(
        self,
        work: dict[str, Any],
        author: SubmissionAuthor | dict[str, Any] | None,
        media: list[MediaOut],
    ) -> dict[str, Any]:
        """`work` (a work's columns under `SubmissionPublic`'s names) as this viewer sees
        it, to be validated into `SubmissionPublic` (extra keys are ignored)."""
        own = self.viewer_id is not None and self.viewer_id == work["member_id"]
        work["author"] = None if self.blind and not own else author
        work["media"] = media
        if not (self.organizer or self.closed):
            work["vote_count"] = None
        if not (self.organizer or own):
            work["moderation_reason"] = None
        return work


def shown(
    work: Submission | Row,
    author: SubmissionAuthor | dict[str, Any] | None,
    *,
    media: list[MediaOut],
    closed: bool,
    blind: bool,
    viewer: Member | None,
) -> SubmissionPublic:
    """The work as the viewer sees it. Tallies stay hidden until the challenge closes
    (organizers see them), so nobody votes by them; the private note is the author's; a
    juror judging blind sees no author but their own."""
    fields = {field: getattr(work, column.key) for field, column in _SHOWN}
    viewing = _Viewing.of(viewer, closed=closed, blind=blind)
    return SubmissionPublic.model_validate(viewing.apply(fields, author, media))


def judged_blind(challenge: judging.Judged, viewer: Member | None, phase: ChallengePhase) -> bool:
    return viewer is not None and judging.judges_blind(challenge, viewer, phase)


# --- the reads -------------------------------------------------------------------------------


def work(connection: Connection, *, submission_id: int, viewer: Member | None) -> SubmissionPublic:
    """`GET /submissions/{id}`: one work as the viewer sees it, or 404 (also for a work of
    a draft challenge, one the viewer may not see, or one hidden after a report)."""
    row = _ONE_WORK.first(connection, {"submission_id": submission_id})
    if row is None or not sees(row, viewer):
        raise does_not_exist(SubmissionNotFound, N_("Submission"), submission_id)
    try:
        challenges.check_visible(row, row.challenge_id, viewer)
    except ChallengeNotFound as error:
        raise does_not_exist(SubmissionNotFound, N_("Submission"), submission_id) from error
    require_readable(row, viewer=viewer)
    phase = challenges.phase_of(row, utcnow())
    viewing = _Viewing.of(
        viewer, closed=phase == ChallengePhase.CLOSED, blind=judged_blind(row, viewer, phase)
    )
    fields = dict(zip(row._fields, row, strict=True))
    media = files_of(connection, [submission_id])[submission_id] if row.has_files else []
    return SubmissionPublic.model_validate(viewing.apply(fields, _author_fields(fields), media))


def page(
    connection: Connection, *, challenge_id: int, viewer: Member | None, params: PageParams
) -> SubmissionPage:
    """A page of a challenge's works, in the order they were entered (the challenge, the
    works with their authors, their files: on PostgreSQL the first two in one statement,
    `_with_challenge`). The challenge is a 404 when the viewer may not see it; its works a
    401 for the public until it closes."""
    challenge, works = _challenge_and_works(connection, challenge_id, viewer, params)
    next_cursor = (
        encode_cursor([works[params.limit - 1]["id"]]) if len(works) > params.limit else None
    )
    works = works[: params.limit]
    files = files_of(connection, [work["id"] for work in works if work["has_files"]])
    phase = challenges.phase_of(challenge, utcnow())
    viewing = _Viewing.of(
        viewer,
        closed=phase == ChallengePhase.CLOSED,
        blind=judged_blind(challenge, viewer, phase),
    )
    items = [viewing.apply(work, _author_fields(work), files[work["id"]]) for work in works]
    return SubmissionPage.model_validate({"items": items, "next_cursor": next_cursor})


def _challenge_and_works(
    connection: Connection, challenge_id: int, viewer: Member | None, params: PageParams
) -> tuple[Row, list[dict[str, Any]]]:
    """The challenge, once the viewer may read its works, and the page's works (one more
    than the page holds when there are more), each a dict under SubmissionPublic's names:
    all validated in one call, where a model built per work in Python, from its row's
    attributes, cost as much as the statement."""
    values: dict[str, Any] = {"challenge_id": challenge_id, "limit": params.limit + 1}
    if params.cursor is not None:
        values["after"] = decode_cursor(params.cursor, _PAGE_KEYS)[0]
    key = _listed_for(viewer), params.cursor is not None
    if connection.dialect.name == "postgresql":
        joined = _JOINED_PAGES[key]
        rows = joined.rows(connection, values)
        challenge = _readable(rows[0] if rows else None, challenge_id, viewer)
        skip = len(_CHALLENGE)  # the challenge's columns, then the work's, in each row
        names = joined.keys[skip:]
        works = rows if rows[0].id is not None else []  # a work's id; NULL: there are none
        return challenge, [dict(zip(names, row[skip:], strict=True)) for row in works]
    # SQLite: the challenge first, the works only if the viewer may read them (`_PAGES`:
    # the statements with `_SQLITE_LISTED`).
    challenge = _readable(
        _ONE_CHALLENGE.first(connection, {"challenge_id": challenge_id}), challenge_id, viewer
    )
    statement = _PAGES[key]
    names = statement.keys
    return challenge, [
        dict(zip(names, row, strict=True)) for row in statement.rows(connection, values)
    ]


def _readable(challenge: Row | None, challenge_id: int, viewer: Member | None) -> Row:
    """The challenge, when the viewer may see it (else 404) and read its works (else 401)."""
    challenges.check_visible(challenge, challenge_id, viewer)
    assert challenge is not None  # check_visible refuses a missing one
    require_readable(challenge, viewer=viewer)
    return challenge
