"""Uploading through the app in tests, and driving the media jobs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.core.config import Settings
from app.core.db import read_only
from app.media import janitor, processing
from app.media.storage import open_storage
from app.models import Media, MediaUsage


def upload(
    client: TestClient,
    headers: dict[str, str],
    path: Path,
    *,
    filename: str | None = None,
    content_type: str = "application/octet-stream",
    alt_text: str | None = None,
) -> Any:
    data = {"alt_text": alt_text} if alt_text is not None else None
    files = {"file": (filename or path.name, path.read_bytes(), content_type)}
    return client.post("/api/v1/media", headers=headers, files=files, data=data)


def process(app: FastAPI) -> int:
    """One run of the processing job on the app's database and storage."""
    settings: Settings = app.state.settings
    with Session(app.state.engine, expire_on_commit=False) as session:
        taken = processing.process_waiting(session, settings)
        session.commit()
    return taken


def sweep(app: FastAPI, **kwargs: Any) -> tuple[int, int]:
    with Session(app.state.engine, expire_on_commit=False) as session:
        done = janitor.sweep(session, app.state.settings, **kwargs)
        session.commit()
    return done


def row(engine: Engine, media_id: int) -> Media | None:
    with Session(read_only(engine), expire_on_commit=False) as session:
        return session.get(Media, media_id)


def usage(engine: Engine, member_id: int) -> int:
    with Session(read_only(engine)) as session:
        found = session.get(MediaUsage, member_id)
        return found.bytes if found is not None else 0


def live_bytes(engine: Engine, member_id: int) -> int:
    """Σ bytes of the member's media not tombstoned: what `media_usage` must say."""
    with Session(read_only(engine)) as session:
        total = session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(col(Media.bytes)), 0)).where(
                col(Media.owner_id) == member_id, col(Media.deleted_at).is_(None)
            )
        )
        return int(total or 0)


def remove_strays(app: FastAPI, *, now: datetime) -> int:
    """One run of the stray-object job on the app's database and storage."""
    settings: Settings = app.state.settings
    with Session(app.state.engine) as session:
        return janitor.remove_strays(session, open_storage(settings), settings, now=now)
