"""Profiles as the API shows them: the read model of `GET /members/{id}` and of the member
directory's pages.

Statements built once, in Core, on a connection (app.readmodels): a member's columns and
whether they have tags or a listed mentor profile in one statement, their tags and mentor
profile (only when they have either) in two more; a page of the directory in three, its
members, then the tags and the mentor profiles of all of them. A filtered directory adds
its filters to the page statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.core.pagination import PageParams, decode_cursor, encode_cursor
from app.i18n import N_
from app.members import service
from app.members.exceptions import MemberNotFound
from app.members.schemas import MemberFilters, MemberPublic
from app.mentoring import profiles as mentor_profiles
from app.models import Member, MemberTag, MentorProfile, is_organizer
from app.problems.details import does_not_exist
from app.readmodels import ReadStatement

Row = sa.Row[*tuple[Any, ...]]

_MEMBERS = cast(sa.Table, Member.__table__)  # type: ignore[attr-defined]
_TAGS = cast(sa.Table, MemberTag.__table__)  # type: ignore[attr-defined]
_MENTORS = cast(sa.Table, MentorProfile.__table__)  # type: ignore[attr-defined]

# What a profile shows.
_PROFILE = sa.select(
    *(
        _MEMBERS.c[name]
        for name in (
            "id",
            "handle",
            "display_name",
            "bio",
            "city",
            "links",
            "avatar_url",
            "avatar_media_id",
            "role",
            "joined_at",
            "points",
            "open_for_commissions",
            "is_active",
            "email",
            "email_verified_at",
        )
    )
)
# One profile, with whether its tags and mentor profile need reading at all (most have none).
_ONE = ReadStatement(
    _PROFILE.add_columns(
        sa.exists().where(_TAGS.c.member_id == _MEMBERS.c.id).label("has_tags"),
        sa.exists()
        .where(_MENTORS.c.member_id == _MEMBERS.c.id, _MENTORS.c.is_listed.is_(True))
        .label("mentors"),
    ).where(_MEMBERS.c.id == sa.bindparam("member_id"))
)


def _directory(*, admin: bool, organizer: bool, later: bool) -> sa.Select[Any]:
    """The directory as a viewer may see it: deactivated members for admins only, members
    hidden after a report for organizers only; from the start, or after a cursor."""
    statement = _PROFILE
    if not admin:
        statement = statement.where(_MEMBERS.c.is_active.is_(True))
    if not organizer:
        statement = statement.where(_MEMBERS.c.hidden_at.is_(None))
    if later:
        statement = statement.where(_MEMBERS.c.id > sa.bindparam("after"))
    return statement.order_by(_MEMBERS.c.id).limit(sa.bindparam("limit"))


# Built once, per kind of viewer (member, organizer, admin) and page (first or later).
_DIRECTORY = {
    (kind, later): ReadStatement(
        _directory(admin=kind == "admin", organizer=kind != "member", later=later)
    )
    for kind in ("member", "organizer", "admin")
    for later in (False, True)
}


def _profiles(
    connection: Connection, rows: Sequence[Row], ids: list[int], *, viewer: Member | None
) -> list[MemberPublic]:
    """The rows as profiles, the tags and mentor profiles of `ids` read at once."""
    tags = service.load_tags(connection, ids)
    mentoring = mentor_profiles.load(connection, ids)
    return [
        service.to_public(row, tags[row.id], viewer=viewer, mentoring=mentoring.get(row.id))
        for row in rows
    ]


def member(connection: Connection, *, member_id: int, viewer: Member | None) -> MemberPublic:
    """`GET /members/{id}` (deactivated members exist only for admins)."""
    row = _ONE.first(connection, {"member_id": member_id})
    if row is None or not (row.is_active or service.is_admin(viewer)):
        raise does_not_exist(MemberNotFound, N_("Member"), member_id)
    ids = [member_id] if row.has_tags or row.mentors else []
    return _profiles(connection, [row], ids, viewer=viewer)[0]


def directory(
    connection: Connection, *, filters: MemberFilters, params: PageParams, viewer: Member
) -> tuple[list[MemberPublic], str | None]:
    """A page of the member directory, by id, filtered as asked."""
    values: dict[str, Any] = {"limit": params.limit + 1}
    if params.cursor is not None:
        values["after"] = decode_cursor(params.cursor, service.DIRECTORY_KEYS)[0]
    statement = _DIRECTORY[_kind_of(viewer), params.cursor is not None]
    conditions = service.filter_conditions(filters)
    if conditions:  # a statement of its own, run by SQLAlchemy
        rows = list(connection.execute(statement.statement.where(*conditions), values))
    else:
        rows = statement.rows(connection, values)
    next_cursor = encode_cursor([rows[params.limit - 1].id]) if len(rows) > params.limit else None
    rows = rows[: params.limit]
    return _profiles(connection, rows, [row.id for row in rows], viewer=viewer), next_cursor


def _kind_of(viewer: Member) -> str:
    if service.is_admin(viewer):
        return "admin"
    return "organizer" if is_organizer(viewer) else "member"
