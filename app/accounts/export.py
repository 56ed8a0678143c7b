"""The member's own data (UU PDP 2022, GDPR art. 15/20) as a ZIP, streamed.

`member.json` holds the profile and every row of the member's (RSVPs, works, votes,
comments, posts, ideas, projects, mentorships, badges, notifications, uploads, tokens and
log-ins, without any secret or hash); it is read within the request. The uploaded files
follow under `media/`, read from storage and compressed a chunk at a time while the
response is sent, so memory does not grow with the archive."""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlmodel import Session, SQLModel, select

from app.core.clock import utcnow
from app.media.service import original_key
from app.media.storage import MediaStorage, StorageKeyMissing
from app.models import (
    AuthSession,
    Badge,
    Comment,
    EventRsvp,
    Idea,
    Media,
    Member,
    Mentorship,
    Notification,
    PersonalAccessToken,
    Post,
    ProjectMember,
    Submission,
    Thread,
    Vote,
)

# (section, model, the column naming the member); secrets are never exported.
SECTIONS: tuple[tuple[str, type[SQLModel], Any], ...] = (
    ("rsvps", EventRsvp, EventRsvp.member_id),
    ("submissions", Submission, Submission.member_id),
    ("votes", Vote, Vote.member_id),
    ("comments", Comment, Comment.author_id),
    ("threads", Thread, Thread.author_id),
    ("posts", Post, Post.author_id),
    ("ideas", Idea, Idea.author_id),
    ("projects", ProjectMember, ProjectMember.member_id),
    ("mentorships_as_mentor", Mentorship, Mentorship.mentor_id),
    ("mentorships_as_mentee", Mentorship, Mentorship.mentee_id),
    ("badges", Badge, Badge.member_id),
    ("notifications", Notification, Notification.member_id),
    ("media", Media, Media.owner_id),
    ("personal_access_tokens", PersonalAccessToken, PersonalAccessToken.member_id),
    ("log_ins", AuthSession, AuthSession.member_id),
)
SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "lease_token", "leased_until"})
PROFILE_EXCLUDED = SECRET_COLUMNS | {"handle_key", "city_key", "announcements_seen_id"}
CHUNK = 256 * 1024


def _dump(row: SQLModel, exclude: frozenset[str] = SECRET_COLUMNS) -> dict[str, Any]:
    return row.model_dump(mode="json", exclude=set(exclude))


def member_data(session: Session, *, member: Member) -> tuple[bytes, list[tuple[str, str]]]:
    """`member.json` and the files to add: (name in the archive, storage key)."""
    data: dict[str, Any] = {
        "exported_at": utcnow().isoformat().replace("+00:00", "Z"),
        "profile": _dump(member, PROFILE_EXCLUDED),
    }
    files: list[tuple[str, str]] = []
    for section, model, column in SECTIONS:
        order = list(model.__table__.primary_key.columns)  # type: ignore[attr-defined]
        rows = session.exec(select(model).where(column == member.id).order_by(*order)).all()
        data[section] = [_dump(row) for row in rows]
        if model is Media:
            files += [
                (f"media/{row.id}", original_key(row.storage_key))  # type: ignore[attr-defined]
                for row in rows
                if row.deleted_at is None and row.status == "ready"  # type: ignore[attr-defined]
            ]
    return json.dumps(data, ensure_ascii=False, indent=2).encode(), files


class _Sink:
    """A write-only file for zipfile: what is written is taken away in pieces."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.position = 0

    def write(self, data: bytes, /) -> int:
        self.pieces.append(bytes(data))
        self.position += len(data)
        return len(data)

    def close(self) -> None:
        pass

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        taken = b"".join(self.pieces)
        self.pieces.clear()
        return taken


def stream_zip(
    member_json: bytes, files: list[tuple[str, str]], storage: MediaStorage
) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("member.json", member_json)
        yield sink.take()
        for name, key in files:
            with tempfile.TemporaryDirectory(prefix="sanggar-export-") as spool:
                path = storage.local_path(key)
                if path is None:
                    path = Path(spool) / "file"
                    try:
                        storage.fetch_to(key, path)
                    except StorageKeyMissing:
                        continue
                if not path.exists():
                    continue
                with path.open("rb") as source, archive.open(name, "w", force_zip64=True) as target:
                    while chunk := source.read(CHUNK):
                        target.write(chunk)
                        yield sink.take()
            yield sink.take()
    yield sink.take()
