"""The processing job: leases, a restart mid-way, failures and retries, on both back ends."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.core.clock import utcnow
from app.core.db import read_only
from app.media import processing
from app.media.storage import StorageKeyMissing
from app.models import Media, Notification
from tests.factories import member_with_headers
from tests.media import samples
from tests.media.conftest import storage_of
from tests.media.helpers import live_bytes, process, row, upload, usage


def _app(client: TestClient) -> FastAPI:
    assert isinstance(client.app, FastAPI)
    return client.app


def _set(engine: Engine, media_id: int, **values: Any) -> None:
    with Session(engine) as session:
        session.execute(sa.update(Media).where(col(Media.id) == media_id).values(**values))
        session.commit()


def test_processed_images_are_served_without_location_on_each_back_end(
    media_client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    app = _app(media_client)
    member, headers = member_with_headers(app)
    created = upload(media_client, headers, samples.jpeg_with_gps(tmp_path)).json()
    stored = row(engine, created["id"])
    assert stored is not None
    storage = storage_of(media_client)
    assert process(app) == 1
    shown = media_client.get(f"/api/v1/media/{created['id']}", headers=headers).json()
    assert shown["status"] == "ready"
    # The raw upload, which still carried the GPS position, is gone from the storage.
    with pytest.raises(StorageKeyMissing):
        storage.fetch_to(f"{stored.storage_key}/upload", tmp_path / "raw")
    for url in [shown["url"], *(v["url"] for v in shown["variants"].values())]:
        answer = media_client.get(url, headers=headers, follow_redirects=False)
        if answer.status_code == 307:  # object storage: a short-lived signed URL
            assert answer.headers["cache-control"] == "no-store"
            fetched = httpx.get(answer.headers["location"])
            assert fetched.status_code == 200
            data = fetched.content
        else:
            assert answer.status_code == 200
            data = answer.content
        served = tmp_path / "served"
        served.write_bytes(data)
        assert not samples.has_location(served), url
    assert usage(engine, member.id) == live_bytes(engine, member.id)  # type: ignore[arg-type]


def test_a_leased_upload_is_not_claimed_twice_and_an_expired_lease_is_claimed_again(
    client: TestClient, app: FastAPI, engine: Engine, tmp_path: Path
) -> None:
    _, headers = member_with_headers(app)
    created = upload(client, headers, samples.png(tmp_path)).json()
    with Session(engine, expire_on_commit=False) as session:
        first = processing.claim(session, now=utcnow())
        assert first is not None and first.media_id == created["id"]
        assert processing.claim(session, now=utcnow()) is None  # the lease is held
    processing.LEASES.let_go(first.lease_token)
    # The process that claimed it died: nothing happens until the lease ends.
    assert process(app) == 0
    assert row(engine, created["id"]).status == "processing"  # type: ignore[union-attr]
    _set(engine, created["id"], leased_until=utcnow() - timedelta(seconds=1))
    assert process(app) == 1
    done = row(engine, created["id"])
    assert done is not None
    assert (done.status, done.lease_token, done.processing_attempts) == ("ready", None, 2)


def test_a_lost_lease_records_nothing(
    client: TestClient, app: FastAPI, engine: Engine, tmp_path: Path
) -> None:
    _, headers = member_with_headers(app)
    created = upload(client, headers, samples.png(tmp_path)).json()
    with Session(engine, expire_on_commit=False) as session:
        claimed = processing.claim(session, now=utcnow())
        assert claimed is not None
        made = processing.make(claimed, storage_of(client), app.state.settings)
        _set(engine, created["id"], lease_token="someone-else")
        assert not processing.record_ready(session, claimed, made)
        session.rollback()
    processing.LEASES.let_go(claimed.lease_token)
    assert row(engine, created["id"]).status == "processing"  # type: ignore[union-attr]


def test_release_at_shutdown_hands_the_upload_back(
    client: TestClient, app: FastAPI, engine: Engine, tmp_path: Path
) -> None:
    _, headers = member_with_headers(app)
    created = upload(client, headers, samples.png(tmp_path)).json()
    with Session(engine, expire_on_commit=False) as session:
        assert processing.claim(session, now=utcnow()) is not None
        assert processing.release_held(session) == 1
        session.commit()
    released = row(engine, created["id"])
    assert released is not None and released.leased_until is None
    assert process(app) == 1


def test_an_unreadable_image_fails_and_its_owner_is_told(
    client: TestClient, app: FastAPI, engine: Engine, tmp_path: Path
) -> None:
    member, headers = member_with_headers(app)
    answer = upload(client, headers, samples.truncated_jpeg(tmp_path))
    if answer.status_code == 422:  # refused at once: nothing to process
        assert answer.json()["code"] == "media_unreadable"
        return
    created = answer.json()
    assert process(app) == 1
    shown = client.get(f"/api/v1/media/{created['id']}", headers=headers).json()
    assert shown["status"] == "failed"
    assert shown["failure_reason"]
    assert client.get(shown["url"], headers=headers).status_code == 409
    assert usage(engine, member.id) == live_bytes(engine, member.id) == 0  # type: ignore[arg-type]
    with Session(read_only(engine)) as session:
        notes = session.scalars(
            sa.select(Notification).where(col(Notification.member_id) == member.id)
        ).all()
    assert [n.type for n in notes if n.type == "media.processing_failed"] == [
        "media.processing_failed"
    ]
    failed = next(n for n in notes if n.type == "media.processing_failed")
    assert failed.data["media_id"] == created["id"]


def test_an_error_that_may_pass_is_retried_then_fails(
    client: TestClient,
    app: FastAPI,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    member, headers = member_with_headers(app)
    created = upload(client, headers, samples.png(tmp_path)).json()

    def unreachable(*_args: Any) -> Any:
        raise OSError("the storage is unreachable")

    monkeypatch.setattr(processing, "make", unreachable)
    for attempt in range(1, processing.MAX_ATTEMPTS + 1):
        assert process(app) == 1
        stored = row(engine, created["id"])
        assert stored is not None
        assert stored.processing_attempts == attempt
        if attempt < processing.MAX_ATTEMPTS:
            assert stored.status == "processing" and stored.lease_token is None
            assert stored.leased_until is not None  # retried later, not at once
            assert process(app) == 0
            _set(engine, created["id"], leased_until=utcnow() - timedelta(seconds=1))
    failed = row(engine, created["id"])
    assert failed is not None
    assert (failed.status, failed.failure_reason) == ("failed", processing.GAVE_UP)
    assert usage(engine, member.id) == 0  # type: ignore[arg-type]


def test_an_upload_whose_attempts_all_died_is_given_up(
    client: TestClient, app: FastAPI, engine: Engine, tmp_path: Path
) -> None:
    member, headers = member_with_headers(app)
    created = upload(client, headers, samples.png(tmp_path)).json()
    _set(
        engine,
        created["id"],
        processing_attempts=processing.MAX_ATTEMPTS,
        leased_until=utcnow() - timedelta(seconds=1),
        lease_token="a-dead-process",
    )
    assert process(app) == 0
    failed = row(engine, created["id"])
    assert failed is not None and failed.status == "failed"
    assert usage(engine, member.id) == live_bytes(engine, member.id) == 0  # type: ignore[arg-type]


def test_a_deleted_upload_is_not_made_ready(
    client: TestClient, app: FastAPI, engine: Engine, tmp_path: Path
) -> None:
    member, headers = member_with_headers(app)
    created = upload(client, headers, samples.png(tmp_path)).json()
    assert client.delete(f"/api/v1/media/{created['id']}", headers=headers).status_code == 204
    assert process(app) == 0
    gone = row(engine, created["id"])
    assert gone is not None and gone.status == "processing" and gone.deleted_at is not None
    assert usage(engine, member.id) == 0  # type: ignore[arg-type]


def test_both_media_jobs_run_in_every_process(app: FastAPI) -> None:
    from app.core import periodic

    settings = app.state.settings
    processing_job = periodic.JOBS["media_processing"]
    assert processing_job.release is not None  # a graceful stop hands the lease back
    assert processing_job.every(settings) == settings.media_process_seconds
    assert periodic.JOBS["media_janitor"].every(settings) == settings.media_janitor_seconds
