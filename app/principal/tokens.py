"""The member behind a Bearer token: one indexed join, built once as a Core statement.

Two kinds of Bearer token are accepted: short-lived JWT access tokens of a log-in
(`app.auth`), and personal access tokens (`sgr_pat_…`) for integrators. Either resolves,
in one query that also checks the member is active and the log-in not revoked, to a
`ResolvedToken`, which `app.principal.cache` remembers for a few seconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.security import (
    PAT_PREFIX,
    decode_access_token,
    hash_secret,
)
from app.models import AuthSession, Member, PersonalAccessToken
from app.principal.changes import UNREMEMBERED

FULL_SCOPES = frozenset({"read", "write"})
# Writing last_used_at on every request would turn reads into writes; once a minute is
# precise enough for "when did this integration last call us".
LAST_USED_PRECISION = timedelta(minutes=1)


class ResolvedToken(NamedTuple):
    member: Member
    scopes: frozenset[str]
    session_id: int | None  # a log-in's access token
    token_id: int | None  # a personal access token
    expires_at: datetime | None  # when the token stops working, if it ever does
    use_unrecorded: bool  # a personal access token whose last use is not stamped yet


# Every authenticated request that misses the token cache runs one of these two joins:
# built once, as Core statements: no ORM compile or entity loading, a large share of a
# lookup's cost (bench/ANALYSIS.md, "Figures behind code comments").
_MEMBERS = cast(sa.Table, Member.__table__)  # type: ignore[attr-defined]
_PERSONAL_TOKENS = cast(sa.Table, PersonalAccessToken.__table__)  # type: ignore[attr-defined]
_AUTH_SESSIONS = cast(sa.Table, AuthSession.__table__)  # type: ignore[attr-defined]
_MEMBER_MAPPER = sa.inspect(Member)
_MEMBER_MANAGER = _MEMBER_MAPPER.class_manager
# What is remembered of the member: every column but those ordinary writes change
# (app.principal.changes.UNREMEMBERED), which stay unloaded and are read when first used.
_MEMBER_COLUMNS = [
    (attr.key, attr.columns[0])
    for attr in _MEMBER_MAPPER.column_attrs
    if attr.key not in UNREMEMBERED
]
_REMEMBERED = [column for _, column in _MEMBER_COLUMNS]
_PERSONAL_TOKEN_LOOKUP = (
    sa.select(
        *_REMEMBERED,
        _PERSONAL_TOKENS.c.id.label("token_id"),
        _PERSONAL_TOKENS.c.scopes.label("token_scopes"),
        _PERSONAL_TOKENS.c.expires_at.label("token_expires_at"),
        _PERSONAL_TOKENS.c.last_used_at.label("token_last_used_at"),
    )
    .select_from(_MEMBERS.join(_PERSONAL_TOKENS, _PERSONAL_TOKENS.c.member_id == _MEMBERS.c.id))
    .where(_PERSONAL_TOKENS.c.token_hash == sa.bindparam("token_hash"))
)
_ACCESS_TOKEN_LOOKUP = (
    sa.select(*_REMEMBERED, _AUTH_SESSIONS.c.revoked_at.label("session_revoked_at"))
    .select_from(_MEMBERS.join(_AUTH_SESSIONS, _AUTH_SESSIONS.c.member_id == _MEMBERS.c.id))
    .where(
        _AUTH_SESSIONS.c.id == sa.bindparam("session_id"),
        _MEMBERS.c.id == sa.bindparam("member_id"),
    )
)


def resolve_token(
    connection: Connection, settings: Settings, *, token: str
) -> ResolvedToken | None:
    """The member behind a Bearer token, with its scopes, or None if it is not valid now.

    Only reads (one indexed join), so that it may run on the event loop on SQLite
    (app.principal.dependencies); the member comes detached, in no Session. A personal
    access token's use still to be recorded is `ResolvedToken.use_unrecorded`
    (app.principal.usage)."""
    if token.startswith(PAT_PREFIX):
        return _resolve_personal_token(connection, token)
    claims = decode_access_token(settings, token)
    if claims is None:
        return None
    parameters = {"session_id": claims.session_id, "member_id": claims.member_id}
    row = connection.execute(_ACCESS_TOKEN_LOOKUP, parameters).first()
    if row is None or row.session_revoked_at is not None or not row.is_active:
        return None
    return ResolvedToken(
        _detached_member(row),
        FULL_SCOPES,
        session_id=claims.session_id,
        token_id=None,
        expires_at=claims.expires_at,
        use_unrecorded=False,
    )


def _resolve_personal_token(connection: Connection, token: str) -> ResolvedToken | None:
    parameters = {"token_hash": hash_secret(token)}
    row = connection.execute(_PERSONAL_TOKEN_LOOKUP, parameters).first()
    if row is None:
        return None
    now = utcnow()
    if not row.is_active or (row.token_expires_at is not None and row.token_expires_at <= now):
        return None
    last_used_at = row.token_last_used_at
    unrecorded = last_used_at is None or last_used_at < now - LAST_USED_PRECISION
    return ResolvedToken(
        _detached_member(row),
        _shared(frozenset(row.token_scopes)),
        None,
        row.token_id,
        row.token_expires_at,
        unrecorded,
    )


# One frozenset per distinct set of scopes (the API gives out three), shared by every
# remembered token instead of one per token (216 bytes of the 2.5 KB a cache entry costs).
_SCOPES: dict[frozenset[str], frozenset[str]] = {FULL_SCOPES: FULL_SCOPES}


def _shared(scopes: frozenset[str]) -> frozenset[str]:
    if len(_SCOPES) >= 8:  # rows written some other way: kept, never a growing table
        return _SCOPES.get(scopes, scopes)
    return _SCOPES.setdefault(scopes, scopes)


def _detached_member(row: sa.Row[Any, *tuple[Any, ...]]) -> Member:
    """The member's columns in an entity of no Session, as if loaded and then detached:
    filled the way the ORM fills what it loads (no model validation, no events). The
    unremembered ones are left unloaded: a Session the member is merged into reads them
    when they are first used, and outside a Session using them is an error, never a stale
    value."""
    member: Member = _MEMBER_MANAGER.new_instance()
    values = instance_dict(member)
    mapping = row._mapping
    for key, column in _MEMBER_COLUMNS:
        values[key] = mapping[column]
    make_transient_to_detached(member)
    return member
