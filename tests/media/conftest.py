"""Shared fixtures for media tests: the storage back ends, and an app on each of them.

- `storage_backend`: a MediaStorage of each kind ("file", "s3"), empty at the start of the
  test (a fresh directory, or a fresh prefix in the test bucket).
- `media_client`: a TestClient of an app storing its media on each kind (the session's app
  for "file", an app on the same database for "s3"); `storage_of(client)` is its storage.
- `s3_server`, `s3_settings_overrides`: the S3 server and the settings of an app using it.

The S3 back end talks to a real S3 protocol server, moto's (started once per session on
127.0.0.1, tests/media/s3_server.py, which also refuses bad or expired presigned URLs as S3
does), through the same code as production: nothing is patched.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.main import create_app
from app.media.storage import FileStorage, MediaStorage, S3Storage, open_storage
from tests.conftest import make_settings

BACKENDS = ["file", "s3"]
S3_BUCKET = "sanggar-test"
S3_REGION = "us-east-1"
S3_ACCESS_KEY_ID = "test-access-key"
S3_SECRET_ACCESS_KEY = "test-secret-key"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """The endpoint URL of a running S3 server with the bucket `S3_BUCKET` created."""
    port = _free_port()
    script = Path(__file__).with_name("s3_server.py")
    process = subprocess.Popen(
        [sys.executable, str(script), str(port), S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.put(f"{endpoint}/{S3_BUCKET}", timeout=5).raise_for_status()
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the S3 test server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def s3_settings_overrides(s3_server: str) -> dict[str, object]:
    """Overrides for `make_settings` giving an app that stores media in the test bucket."""
    return {
        "media_storage": f"s3://{S3_BUCKET}/app-{uuid.uuid4().hex[:8]}",
        "s3_endpoint_url": s3_server,
        "s3_region": S3_REGION,
        "s3_access_key_id": S3_ACCESS_KEY_ID,
        "s3_secret_access_key": S3_SECRET_ACCESS_KEY,
    }


@pytest.fixture
def file_storage(tmp_path: Path) -> FileStorage:
    return FileStorage(tmp_path / "media")


@pytest.fixture
def s3_storage(s3_settings_overrides: dict[str, object]) -> S3Storage:
    settings = make_settings("sqlite://", **s3_settings_overrides)
    return S3Storage(bucket=S3_BUCKET, prefix=f"test-{uuid.uuid4().hex}", settings=settings)


@pytest.fixture(params=BACKENDS)
def storage_backend(request: pytest.FixtureRequest) -> MediaStorage:
    """A MediaStorage of each kind, empty at the start of the test."""
    storage: MediaStorage = request.getfixturevalue(f"{request.param}_storage")
    return storage


def make_s3_app(database_url: str, s3_overrides: dict[str, object], **overrides: object) -> FastAPI:
    """A whole app on the test database storing its media in the S3 test bucket."""
    return create_app(make_settings(database_url, **s3_overrides, **overrides))


@pytest.fixture(scope="session")
def s3_app(database_url: str, s3_settings_overrides: dict[str, object]) -> Iterator[FastAPI]:
    application = make_s3_app(database_url, s3_settings_overrides)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def s3_client(s3_app: FastAPI, engine: Engine) -> Iterator[TestClient]:
    """A TestClient of the S3 app; `engine` has the tables emptied after the test."""
    with TestClient(s3_app, base_url="http://testserver") as test_client:
        yield test_client
    # Emptied behind this app's back too: ids start again (see tests/conftest.py).
    s3_app.state.principal_cache.clear()


@pytest.fixture(params=BACKENDS)
def media_client(request: pytest.FixtureRequest) -> TestClient:
    """A TestClient of an app storing media on each back end, on the shared database."""
    name = "client" if request.param == "file" else "s3_client"
    test_client: TestClient = request.getfixturevalue(name)
    return test_client


def storage_of(client: TestClient) -> MediaStorage:
    """The media storage of the app behind a TestClient."""
    app = client.app
    assert isinstance(app, FastAPI)
    settings: Settings = app.state.settings
    return open_storage(settings)
