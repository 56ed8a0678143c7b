"""The storage back ends: the same behaviour from a directory and from an S3 server."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest

from app.media.storage import (
    FileStorage,
    InvalidStorageKey,
    MediaStorage,
    StorageKeyMissing,
    check_key,
)

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


def _spooled(storage: MediaStorage, data: bytes, name: str = "upload") -> Path:
    path = storage.spool_dir / name
    path.write_bytes(data)
    return path


def test_large_file_round_trips_byte_for_byte(
    storage_backend: MediaStorage, tmp_path: Path
) -> None:
    source = storage_backend.spool_dir / "big-upload"
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
