"""The storage back ends: the same behaviour from a directory and from an S3 server."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from app.media.storage import (
    FileStorage,
    InvalidStorageKey,
    MediaStorage,
    S3Storage,
    StorageKeyMissing,
    check_key,
    open_storage,
)
from tests.conftest import make_settings
from tests.media.conftest import BACKENDS, S3_BUCKET, storage_of

MIB = 1024 * 1024


def _random_file(path: Path, size: int) -> str:
    """Writes `size` random bytes to `path` (a MiB at a time) and answers their sha256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        left = size
        while left:
            chunk = os.urandom(min(MIB, left))
            digest.update(chunk)
            out.write(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as reader:
        while chunk := reader.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()


def _spooled(storage: MediaStorage, data: bytes) -> Path:
    # The S3 spool is the machine's, shared with other test runs: names must not collide.
    path = storage.spool_dir / f"test-{uuid.uuid4().hex}"
    path.write_bytes(data)
    return path


def test_large_file_round_trips_byte_for_byte(
    storage_backend: MediaStorage, tmp_path: Path
) -> None:
    source = storage_backend.spool_dir / f"test-{uuid.uuid4().hex}"
    expected = _random_file(source, 12 * MIB + 12345)  # more than two multipart parts

    storage_backend.put_file("a1b2/original", source, content_type="video/mp4")
    target = tmp_path / "fetched"
    storage_backend.fetch_to("a1b2/original", target)

    assert target.stat().st_size == 12 * MIB + 12345
    assert _sha256(target) == expected


def test_put_overwrites_and_small_files_round_trip(
    storage_backend: MediaStorage, tmp_path: Path
) -> None:
    storage_backend.put_file("k/thumb.webp", _spooled(storage_backend, b"old"), content_type="x/y")
    storage_backend.put_file("k/thumb.webp", _spooled(storage_backend, b"new"), content_type="x/y")

    storage_backend.fetch_to("k/thumb.webp", tmp_path / "out")

    assert (tmp_path / "out").read_bytes() == b"new"


def test_empty_file_round_trips(storage_backend: MediaStorage, tmp_path: Path) -> None:
    storage_backend.put_file("e/original", _spooled(storage_backend, b""), content_type="x/y")

    storage_backend.fetch_to("e/original", tmp_path / "out")

    assert (tmp_path / "out").read_bytes() == b""


def test_fetching_a_missing_key_raises_key_missing(
    storage_backend: MediaStorage, tmp_path: Path
) -> None:
    with pytest.raises(StorageKeyMissing) as raised:
        storage_backend.fetch_to("nothing/original", tmp_path / "out")

    assert raised.value.key == "nothing/original"


def test_delete_removes_and_is_idempotent(storage_backend: MediaStorage, tmp_path: Path) -> None:
    storage_backend.put_file("d/original", _spooled(storage_backend, b"1"), content_type="x/y")
    storage_backend.put_file("d/thumb.webp", _spooled(storage_backend, b"2"), content_type="x/y")
    storage_backend.put_file("keep/original", _spooled(storage_backend, b"3"), content_type="x/y")

    storage_backend.delete(["d/original", "d/thumb.webp", "never/was"])
    storage_backend.delete(["d/original", "d/thumb.webp"])
    storage_backend.delete([])

    for key in ("d/original", "d/thumb.webp"):
        with pytest.raises(StorageKeyMissing):
            storage_backend.fetch_to(key, tmp_path / "out")
    storage_backend.fetch_to("keep/original", tmp_path / "kept")
    assert (tmp_path / "kept").read_bytes() == b"3"


BAD_KEYS = [
    "",
    "/etc/passwd",
    "../outside",
    "a/../../outside",
    "a/..",
    "..",
    "a//b",
    "a/",
    "./a",
    ".spool/upload",
    "a/.hidden",
    "a\\..\\b",
    "a b",
    "a\x00b",
    "ключ/original",
    "a" * 600,
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_that_could_escape_are_refused(
    storage_backend: MediaStorage, tmp_path: Path, key: str
) -> None:
    source = _spooled(storage_backend, b"x")

    with pytest.raises(InvalidStorageKey):
        storage_backend.put_file(key, source, content_type="x/y")
    with pytest.raises(InvalidStorageKey):
        storage_backend.fetch_to(key, tmp_path / "out")
    with pytest.raises(InvalidStorageKey):
        storage_backend.delete(["fine/original", key])
    with pytest.raises(InvalidStorageKey):
        storage_backend.local_path(key)
    with pytest.raises(InvalidStorageKey):
        storage_backend.signed_url(key, expires_in=60, content_type="x/y")
    assert not (tmp_path / "outside").exists()
    # A refused put leaves the source to its caller.
    assert source.read_bytes() == b"x"
    source.unlink()


@pytest.mark.parametrize(
    "key", ["0b9f6c1e-3f7a-4c1d-9d55-0e0f6f6a1b2c/original", "u/thumb.webp", "a.b_c-d/e"]
)
def test_generated_keys_are_accepted(key: str) -> None:
    assert check_key(key) == key


def test_file_backend_serves_a_local_path_and_no_signed_url(file_storage: FileStorage) -> None:
    file_storage.put_file("p/original", _spooled(file_storage, b"bytes"), content_type="x/y")

    path = file_storage.local_path("p/original")

    assert path is not None
    assert path.read_bytes() == b"bytes"
    assert path.is_relative_to(file_storage.root)
    assert file_storage.local_path("p/absent") is None
    assert file_storage.local_path("p") is None  # a directory is not an object
    assert file_storage.signed_url("p/original", expires_in=60, content_type="x/y") is None


def test_file_backend_put_renames_from_the_spool(file_storage: FileStorage) -> None:
    source = _spooled(file_storage, b"moved")
    inode = source.stat().st_ino

    file_storage.put_file("r/original", source, content_type="x/y")

    stored = file_storage.root / "r" / "original"
    assert stored.stat().st_ino == inode
    assert not source.exists()


def test_file_backend_copies_a_source_on_another_filesystem(
    file_storage: FileStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "elsewhere"
    source.write_bytes(b"copied")
    real_replace = os.replace

    def replace(src: Path, dst: Path) -> None:
        if Path(src) == source:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)

    file_storage.put_file("c/original", source, content_type="x/y")

    assert (file_storage.root / "c" / "original").read_bytes() == b"copied"
    assert not source.exists()
    # No temporary file is left beside it.
    assert sorted(p.name for p in (file_storage.root / "c").iterdir()) == ["original"]


def test_file_backend_delete_prunes_empty_directories(file_storage: FileStorage) -> None:
    file_storage.put_file("x/original", _spooled(file_storage, b"1"), content_type="x/y")

    file_storage.delete(["x/original"])

    assert not (file_storage.root / "x").exists()
    assert file_storage.root.is_dir()
    assert file_storage.spool_dir.is_dir()


def test_s3_signed_url_serves_the_bytes_with_their_type(s3_storage: S3Storage) -> None:
    s3_storage.put_file("s/original", _spooled(s3_storage, b"\x89PNG..."), content_type="image/png")

    url = s3_storage.signed_url("s/original", expires_in=300, content_type="image/png")

    assert url is not None
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["300"]
    answer = httpx.get(url)
    assert answer.status_code == 200
    assert answer.content == b"\x89PNG..."
    assert answer.headers["content-type"] == "image/png"
    assert s3_storage.local_path("s/original") is None


def test_s3_signed_url_with_a_changed_key_or_signature_is_refused(s3_storage: S3Storage) -> None:
    s3_storage.put_file("s/original", _spooled(s3_storage, b"one"), content_type="x/y")
    s3_storage.put_file("t/original", _spooled(s3_storage, b"two"), content_type="x/y")
    url = s3_storage.signed_url("s/original", expires_in=300, content_type="x/y")
    assert url is not None
    signature = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
    forged = signature[:-1] + ("0" if signature[-1] != "0" else "1")

    assert httpx.get(url.replace(signature, forged)).status_code == 403
    assert httpx.get(url.replace("/s/original", "/t/original")).status_code == 403
    assert httpx.get(url).status_code == 200


def test_s3_signed_url_expires(s3_storage: S3Storage) -> None:
    s3_storage.put_file("s/original", _spooled(s3_storage, b"soon gone"), content_type="x/y")
    # The signature's time is in whole seconds (rounded down): a 3 s URL is good for at
    # least 2 s after signing, and past its end 4.1 s after.
    url = s3_storage.signed_url("s/original", expires_in=3, content_type="x/y")
    assert url is not None
    assert httpx.get(url).status_code == 200

    time.sleep(4.1)

    answer = httpx.get(url)
    assert answer.status_code == 403
    assert "expired" in answer.text


def test_s3_put_consumes_the_spooled_file(s3_storage: S3Storage) -> None:
    source = _spooled(s3_storage, b"up")

    s3_storage.put_file("u/original", source, content_type="x/y")

    assert not source.exists()


def test_open_storage_picks_the_back_end_and_keeps_one_per_setting(
    tmp_path: Path, s3_settings_overrides: dict[str, object]
) -> None:
    as_file = make_settings("sqlite://", media_storage=f"file:{tmp_path}/m")
    as_s3 = make_settings("sqlite://", **s3_settings_overrides)

    file_storage = open_storage(as_file)
    s3_storage = open_storage(as_s3)

    assert isinstance(file_storage, FileStorage)
    assert file_storage.root == (tmp_path / "m").resolve()
    assert file_storage.spool_dir == file_storage.root / ".spool"
    assert isinstance(s3_storage, S3Storage)
    assert open_storage(make_settings("other://", media_storage=f"file:{tmp_path}/m")) is (
        file_storage
    )
    assert open_storage(as_s3) is s3_storage


def test_s3_storage_reaches_only_its_prefix(
    s3_storage: S3Storage, s3_settings_overrides: dict[str, object], tmp_path: Path
) -> None:
    s3_storage.put_file("p/original", _spooled(s3_storage, b"mine"), content_type="x/y")
    other = S3Storage(
        bucket=S3_BUCKET,
        prefix="another-prefix",
        settings=make_settings("sqlite://", **s3_settings_overrides),
    )

    with pytest.raises(StorageKeyMissing):
        other.fetch_to("p/original", tmp_path / "out")


_MEMORY_PROBE = """
import os, sys, threading, uuid
from pathlib import Path
from app.core.config import Settings
from app.media.storage import open_storage

PAGE = os.sysconf("SC_PAGE_SIZE")

def resident():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE

size, workdir = int(sys.argv[1]), Path(sys.argv[2])
storage = open_storage(Settings(_env_file=None))
tag = uuid.uuid4().hex  # the S3 spool is shared with other test runs
warm, big = storage.spool_dir / f"warm-{tag}", storage.spool_dir / f"big-{tag}"
# Everything loaded and connected once, on a small file, before the baseline.
warm.write_bytes(b"warm")
storage.put_file("warm/original", warm, content_type="x/y")
storage.fetch_to("warm/original", workdir / "warm")
with big.open("wb") as out:
    for _ in range(size // (1 << 20)):
        out.write(bytes(1 << 20))
before = peak = resident()
done = threading.Event()

def sample():
    global peak
    while not done.wait(0.005):
        peak = max(peak, resident())

sampler = threading.Thread(target=sample)
sampler.start()
storage.put_file("big/original", big, content_type="video/mp4")
storage.fetch_to("big/original", workdir / "big")
done.set()
sampler.join()
peak = max(peak, resident())
assert (workdir / "big").stat().st_size == size
print(peak - before)
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_storing_and_fetching_a_large_file_does_not_hold_it_in_memory(
    backend: str, tmp_path: Path, s3_settings_overrides: dict[str, object]
) -> None:
    """In a fresh process whose resident memory (which counts obstore's Rust buffers too,
    unlike tracemalloc) is sampled while it stores and fetches the file."""
    size = 128 * MIB  # read whole, it shows as 128 MiB and more (measured: 128)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANGGAR_")}
    if backend == "file":
        env["SANGGAR_MEDIA_STORAGE"] = f"file:{tmp_path / 'media'}"
    else:
        for name, value in s3_settings_overrides.items():
            env[f"SANGGAR_{name.upper()}"] = str(value)
    probe = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(size), str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr

    grown = int(probe.stdout.strip())

    # Parts in flight and chunks: measured 1 MiB for files, 24 MiB for S3.
    assert grown < 48 * MIB, f"peak memory grew by {grown / MIB:.1f} MiB for a 128 MiB file"


def test_media_client_apps_store_media_where_their_settings_say(
    media_client: TestClient, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    storage = storage_of(media_client)
    storage.put_file("app/original", _spooled(storage, b"via the app"), content_type="x/y")

    storage.fetch_to("app/original", tmp_path / "out")

    assert media_client.get("/readyz").status_code == 200
    assert (tmp_path / "out").read_bytes() == b"via the app"
    expected = FileStorage if request.node.callspec.params["media_client"] == "file" else S3Storage
    assert isinstance(storage, expected)
    storage.delete(["app/original"])
