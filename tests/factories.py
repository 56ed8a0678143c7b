"""Plain typed helpers that put test data in place through the services."""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
from dataclasses import dataclass, field, fields
from types import ModuleType
from typing import Any

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.auth import service as auth
from app.core import domain_events
from app.core.config import Settings
from app.members import service as members
from app.members.schemas import MemberUpdate
from app.models import (
    AuthSession,
    Media,
    MediaKind,
    MediaStatus,
    MediaUsage,
    Member,
    Project,
    Role,
)
from app.principal.changes import principals_changed
from app.projects import service as projects
from app.projects.schemas import ProjectCreate

PASSWORD = "correct horse battery"
_sequence = itertools.count(1)


# The statement that resolves a Bearer token (app.principal.tokens.resolve_token).
TOKEN_LOOKUP = re.compile(r"FROM members JOIN (personal_access_tokens|auth_sessions) ON")


@dataclass
class QueryCounter:
    statements: list[str] = field(default_factory=list)

    def record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "PRAGMA")):
            return
        if TOKEN_LOOKUP.search(statement):
            return  # one per request at most, and remembered for the next (app.principal.cache)
        self.statements.append(statement)

    def reset(self) -> None:
        self.statements.clear()

    @property
    def count(self) -> int:
        return len(self.statements)


def make_member(
    app: FastAPI,
    *,
    role: Role = Role.MEMBER,
    handle: str | None = None,
    email: str | None = None,
    display_name: str | None = None,
    is_active: bool = True,
    **profile: Any,
) -> Member:
    settings: Settings = app.state.settings
    n = next(_sequence)
    handle = handle or f"member{n}"
    with Session(app.state.engine, expire_on_commit=False) as session:
        member = members.create_member(
            session,
            settings,
            email=email or f"{handle.lower()}@example.com",
            password=PASSWORD,
            handle=handle,
            display_name=display_name or f"Member {n}",
            role=role,
        )
        if profile:
            members.update_profile(session, member=member, changes=MemberUpdate(**profile))
        if not is_active:  # noted as an admin's deactivation is (app.members.service)
            member.is_active = False
            principals_changed(session, member_ids=[member.id])  # type: ignore[list-item]
        session.add(member)
        session.commit()
        return member


def tokens_for(app: FastAPI, member: Member) -> dict[str, Any]:
    """A fresh log-in for the member, without the cost of hashing a password."""
    with Session(app.state.engine) as session:
        auth_session = AuthSession(member_id=member.id)  # type: ignore[arg-type]
        session.add(auth_session)
        session.flush()
        pair = auth.issue_tokens(
            session,
            app.state.settings,
            member_id=member.id,  # type: ignore[arg-type]
            session_id=auth_session.id,  # type: ignore[arg-type]
        )
        session.commit()
        return pair.model_dump()


def auth_headers(app: FastAPI, member: Member) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens_for(app, member)['access_token']}"}


def member_with_headers(app: FastAPI, **kwargs: Any) -> tuple[Member, dict[str, str]]:
    member = make_member(app, **kwargs)
    return member, auth_headers(app, member)


def make_mentor(
    app: FastAPI, *, topics: list[str], capacity: int = 2, is_open: bool = True, **profile: Any
) -> Member:
    """A member with a listed mentor profile."""
    mentoring = {"open": is_open, "topics": topics, "capacity": capacity}
    return make_member(app, mentoring=mentoring, **profile)


_CONTENT_TYPES = {
    MediaKind.IMAGE: "image/jpeg",
    MediaKind.AUDIO: "audio/mpeg",
    MediaKind.VIDEO: "video/mp4",
    MediaKind.DOCUMENT: "application/pdf",
}


def make_media(
    session: Session,
    owner: Member,
    *,
    kind: MediaKind = MediaKind.IMAGE,
    status: MediaStatus = MediaStatus.READY,
    size: int = 1000,
) -> Media:
    """A Media row as an upload leaves it (no bytes in the storage), counted in the owner's
    usage; flushed, not committed. A ready image has its three variants."""
    ready_image = kind == MediaKind.IMAGE and status == MediaStatus.READY
    variant = {"width": 320, "height": 240, "bytes": 100, "content_type": "image/webp"}
    media = Media(
        owner_id=owner.id,  # type: ignore[arg-type]
        storage_key=secrets.token_hex(16),
        kind=kind,
        content_type=_CONTENT_TYPES[kind],
        bytes=size,
        sha256=hashlib.sha256(secrets.token_bytes(8)).hexdigest(),
        width=640 if kind == MediaKind.IMAGE else None,
        height=480 if kind == MediaKind.IMAGE else None,
        status=status,
        failure_reason="Not an image we can read." if status == MediaStatus.FAILED else None,
        variants=dict.fromkeys(("thumb", "medium", "large"), variant) if ready_image else None,
    )
    session.add(media)
    usage = session.get(MediaUsage, owner.id)
    if usage is None:
        session.add(MediaUsage(member_id=owner.id, bytes=size))  # type: ignore[arg-type]
    else:
        usage.bytes += size
        session.add(usage)
    session.flush()
    return media


def make_project(app: FastAPI, coordinator: Member, **fields: Any) -> Project:
    """A project created through the service, `coordinator` its first coordinator."""
    data = ProjectCreate(**{"title": "Community e-book", "kind": "ebook", **fields})
    with Session(app.state.engine, expire_on_commit=False) as session:
        project = projects.create_project(session, creator=coordinator, data=data)
        session.commit()
        return project


def publish_only_to(
    engine: Engine, subscribers: ModuleType, event: domain_events.DomainEvent
) -> None:
    """Hands a made-up domain event to one feature's subscribers only, in a committed
    transaction: the other features' subscribers would look for rows the test never made
    (tests/test_wiring.py sends the real requests)."""
    heard = [
        s for s in domain_events.subscribers_of(type(event)) if s.__module__ == subscribers.__name__
    ]
    assert heard, f"{subscribers.__name__} does not subscribe to {type(event).__name__}"
    with Session(engine) as session:
        for subscriber in heard:
            subscriber(session, event)
        session.commit()


def data_of(event: domain_events.DomainEvent) -> dict[str, Any]:
    """What the event says, without who caused it and when."""
    return {
        f.name: getattr(event, f.name)
        for f in fields(event)
        if f.name not in ("actor_id", "occurred_at")
    }
