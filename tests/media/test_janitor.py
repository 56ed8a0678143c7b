"""The janitor: uploads never attached go after the orphan time; tombstones lose their bytes,
then their rows; attached media and live leases are left alone."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.core.clock import utcnow
from app.media import service
from app.media.storage import MediaStorage, StorageKeyMissing
from app.models import Media, Member
from app.principal.changes import principals_changed
from tests.factories import member_with_headers
from tests.media import samples
from tests.media.conftest import storage_of
from tests.media.helpers import (
    live_bytes,
    process,
    remove_strays,
    row,
    sweep,
    upload,
    usage,
)


def _app(client: TestClient) -> FastAPI:
    assert isinstance(client.app, FastAPI)
    return client.app


def test_an_upload_never_attached_is_removed_after_the_orphan_time(
    media_client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    app = _app(media_client)
    member, headers = member_with_headers(app)
    created = upload(media_client, headers, samples.jpeg(tmp_path)).json()
    assert process(app) == 1
    stored = row(engine, created["id"])
    assert stored is not None
    hours = app.state.settings.media_orphan_hours
    assert sweep(app, now=utcnow() + timedelta(hours=hours - 1)) == (0, 0)
    assert row(engine, created["id"]) is not None
    assert sweep(app, now=utcnow() + timedelta(hours=hours + 1)) == (1, 1)
    assert row(engine, created["id"]) is None
    assert usage(engine, member.id) == 0  # type: ignore[arg-type]
    storage = storage_of(media_client)
    for name in ("original", "thumb.webp", "medium.webp", "large.webp", "upload"):
        with pytest.raises(StorageKeyMissing):
            storage.fetch_to(f"{stored.storage_key}/{name}", tmp_path / "gone")


def test_attached_media_stay(
    client: TestClient, app: FastAPI, engine: Engine, tmp_path: Path
) -> None:
    member, headers = member_with_headers(app)
    avatar = upload(client, headers, samples.png(tmp_path)).json()
    attached_then_detached = upload(client, headers, samples.pdf(tmp_path)).json()
    with Session(engine) as session:
        owner = session.get(Member, member.id)
        assert owner is not None
        owner.avatar_media_id = avatar["id"]
        principals_changed(session, member_ids=[owner.id])  # type: ignore[list-item]
        session.execute(
            sa.update(Media)
            .where(col(Media.id).in_([avatar["id"], attached_then_detached["id"]]))
            .values(attached_at=utcnow())
        )
        session.commit()
    assert sweep(app, now=utcnow() + timedelta(days=30)) == (0, 0)
    assert row(engine, avatar["id"]) is not None
    assert row(engine, attached_then_detached["id"]) is not None
    assert usage(engine, member.id) == live_bytes(engine, member.id)  # type: ignore[arg-type]


def test_an_orphan_attached_meanwhile_is_kept(
    client: TestClient, app: FastAPI, engine: Engine, tmp_path: Path
) -> None:
    """The tombstone re-checks the references in its own statement, not only `attached_at`."""
    member, headers = member_with_headers(app)
    avatar = upload(client, headers, samples.png(tmp_path)).json()
    with Session(engine) as session:
        owner = session.get(Member, member.id)
        assert owner is not None
        owner.avatar_media_id = avatar["id"]  # attached_at left unset: the race's window
        principals_changed(session, member_ids=[owner.id])  # type: ignore[list-item]
        session.commit()
    assert sweep(app, now=utcnow() + timedelta(days=2)) == (0, 0)
    assert row(engine, avatar["id"]) is not None


def test_a_deleted_media_loses_its_bytes_then_its_row(
    client: TestClient, app: FastAPI, engine: Engine, tmp_path: Path
) -> None:
    _, headers = member_with_headers(app)
    created = upload(client, headers, samples.wav(tmp_path)).json()
    stored = row(engine, created["id"])
    assert stored is not None
    assert client.delete(f"/api/v1/media/{created['id']}", headers=headers).status_code == 204
    assert sweep(app) == (0, 1)
    assert row(engine, created["id"]) is None
    with pytest.raises(StorageKeyMissing):
        storage_of(client).fetch_to(f"{stored.storage_key}/original", tmp_path / "gone")


def test_a_tombstone_still_leased_waits_for_its_lease(
    client: TestClient, app: FastAPI, engine: Engine, tmp_path: Path
) -> None:
    _, headers = member_with_headers(app)
    created = upload(client, headers, samples.png(tmp_path)).json()
    with Session(engine) as session:
        session.execute(
            sa.update(Media)
            .where(col(Media.id) == created["id"])
            .values(leased_until=utcnow() + timedelta(minutes=5), lease_token="processing")
        )
        session.commit()
    assert client.delete(f"/api/v1/media/{created['id']}", headers=headers).status_code == 204
    assert sweep(app) == (0, 0)
    assert sweep(app, now=utcnow() + timedelta(minutes=6)) == (0, 1)


def _store(storage: MediaStorage, key: str, data: bytes) -> None:
    source = storage.spool_dir / f"test-{uuid.uuid4().hex}"
    source.write_bytes(data)
    storage.put_file(key, source, content_type="application/pdf")


def _stored(storage: MediaStorage, key: str, tmp_path: Path) -> bool:
    try:
        storage.fetch_to(key, tmp_path / "fetched")
    except StorageKeyMissing:
        return False
    return True


def test_an_object_no_row_names_is_removed_after_the_orphan_time(
    media_client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """A process killed between storing an upload and committing its row left the object."""
    app = _app(media_client)
    _, headers = member_with_headers(app)
    named = row(engine, upload(media_client, headers, samples.pdf(tmp_path)).json()["id"])
    assert named is not None
    storage = storage_of(media_client)
    stray = f"{service.new_storage_key()}/original"
    foreign = "exports/report.pdf"  # not a name the app makes: never its to remove
    _store(storage, stray, b"%PDF-1.4 left behind")
    _store(storage, foreign, b"%PDF-1.4 someone else's")
    hours = app.state.settings.media_orphan_hours

    remove_strays(app, now=utcnow() + timedelta(hours=hours - 1))  # too recent yet
    assert _stored(storage, stray, tmp_path)

    assert remove_strays(app, now=utcnow() + timedelta(hours=hours + 1)) >= 1
    assert not _stored(storage, stray, tmp_path)
    assert _stored(storage, service.original_key(named.storage_key), tmp_path)
    assert _stored(storage, foreign, tmp_path)
    storage.delete([foreign])
