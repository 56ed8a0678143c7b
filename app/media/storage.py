"""Where media bytes live: a directory on this machine, or an S3-compatible object store.

Both back ends answer one small synchronous interface (`MediaStorage`); callers run it in
worker threads. Keys are made by the caller (`<storage_key>/original`,
`<storage_key>/thumb.webp`) and still checked here, so no key can leave the root.

Uploads are written to `spool_dir` while they arrive, then handed to `put_file`: the file
back end keeps its spool inside its root, so storing is a rename; the S3 back end spools to
a local temporary directory and streams the file up in parts. The file back end syncs a
stored file and its directories to disk before `put_file` returns, so an upload answered
201 (its row committed after the file is stored) survives a crash of the machine.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from obstore.store import ClientConfig, S3Config, S3Store

    from app.core.config import Settings

# Segments of letters, digits, `.`, `_`, `-`, never starting with `.` (so no `..`, and
# nothing reaches the file back end's spool or its temporary files).
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")
_MAX_KEY_LENGTH = 512
# Copies and downloads move through memory in pieces of this size, never whole.
CHUNK_BYTES = 1024 * 1024
# Uploads to S3 go in parts of this size, this many at once: what one upload holds in
# memory is about their product, whatever the file's size (S3's smallest part is 5 MiB).
S3_PART_BYTES = 8 * 1024 * 1024
S3_PARTS_IN_FLIGHT = 2
# Where the S3 back end spools uploads (a disk directory: set TMPDIR if /tmp is in memory).
S3_SPOOL_DIR = "sanggar-spool"


class StorageKeyMissing(Exception):
    """No object is stored under the key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no stored object under {key!r}")
        self.key = key


class InvalidStorageKey(ValueError):
    """A key that could leave the storage root or name something other than an object."""


class MediaStorage(Protocol):
    # Where uploads are written while they arrive; put_file may rename from here.
    spool_dir: Path

    def put_file(self, key: str, source: Path, *, content_type: str) -> None:
        """Stores the file under the key. Once it returns `source` is gone (moved or
        uploaded and removed); if it raises, `source` may remain: the caller removes it."""

    def fetch_to(self, key: str, target: Path) -> None:
        """Copies the object to a local file, streamed; StorageKeyMissing if absent."""

    def delete(self, keys: Sequence[str]) -> None:
        """Removes the objects; keys already absent are fine."""

    def stored_before(self, cutoff: datetime) -> Iterator[str]:
        """The key of every object last written before `cutoff` (a walk of the whole store,
        for the janitor: nothing else reads the store by listing it)."""

    def local_path(self, key: str) -> Path | None:
        """The local file to serve (file back end; None if absent); S3: always None."""

    def signed_url(self, key: str, *, expires_in: int, content_type: str) -> str | None:
        """A short-lived URL the client may GET the object from (S3); file back end: None."""


def check_key(key: str) -> str:
    """The key itself when it is safe: `/`-separated segments of [A-Za-z0-9._-], none
    empty or starting with `.`; so no leading `/`, no `..`, nothing outside the root."""
    if len(key) > _MAX_KEY_LENGTH or not _KEY.fullmatch(key):
        raise InvalidStorageKey(f"{key!r} is not a valid storage key")
    return key


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _write_atomically(target: Path, fill: Callable[[Path], None]) -> None:
    """Calls `fill(temp_path)` for a temporary file beside `target`, then renames it over
    `target`: a reader sees the old file or the whole new one, never a part."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
    os.close(handle)
    temp = Path(name)
    try:
        fill(temp)
        temp.replace(target)
    except BaseException:
        _unlink_quietly(temp)
        raise


def _copy_file(source: Path, target: Path) -> None:
    with source.open("rb") as reader, target.open("wb") as writer:
        shutil.copyfileobj(reader, writer, CHUNK_BYTES)
        writer.flush()
        os.fsync(writer.fileno())


def _fsync(path: Path) -> None:
    """Flushes a file's bytes, or a directory's entries, to the disk."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


class FileStorage:
    """Objects as files under one directory; the spool is `<root>/.spool` (same filesystem,
    so storing an upload is a rename). No key starts with `.`, so none reaches it."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.spool_dir = self.root / ".spool"
        self.spool_dir.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_file(self, key: str, source: Path, *, content_type: str) -> None:
        del content_type  # the server names the type when it serves the file
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            source.replace(target)
        except OSError:
            # Another filesystem (a source outside the spool): copy, then rename into place.
            _write_atomically(target, lambda temp: _copy_file(source, temp))
            _unlink_quietly(source)
        # The bytes, the new name and the directories made for it on disk before the caller
        # commits a row pointing at them; synced after the rename, so one journal commit
        # covers both (bench/MEDIA.md). A crash before then leaves at most a file no row
        # names, as a crash between storing and the row's commit can: the janitor's
        # stray-object job removes it.
        _fsync(target)
        directory = target.parent
        while True:
            _fsync(directory)
            if directory == self.root or self.root not in directory.parents:
                break
            directory = directory.parent

    def fetch_to(self, key: str, target: Path) -> None:
        path = self._path(key)
        try:
            reader = path.open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise StorageKeyMissing(key) from None
        with reader, target.open("wb") as writer:
            shutil.copyfileobj(reader, writer, CHUNK_BYTES)

    def delete(self, keys: Sequence[str]) -> None:
        paths = [self._path(key) for key in keys]
        for path in paths:
            with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
                path.unlink()
            self._prune(path.parent)

    def stored_before(self, cutoff: datetime) -> Iterator[str]:
        for directory, subdirectories, files in os.walk(self.root):
            # The spool and temporary files start with `.`, as no key does.
            subdirectories[:] = [name for name in subdirectories if not name.startswith(".")]
            for name in files:
                path = Path(directory) / name
                if name.startswith("."):
                    continue
                with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
                    if datetime.fromtimestamp(path.stat().st_mtime, UTC) < cutoff:
                        yield path.relative_to(self.root).as_posix()

    def _prune(self, directory: Path) -> None:
        """Removes directories the deletion left empty, up to (not including) the root."""
        while directory != self.root and self.root in directory.parents:
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def signed_url(self, key: str, *, expires_in: int, content_type: str) -> str | None:
        del expires_in, content_type  # files are served directly, never through a URL
        self._path(key)
        return None


class S3Storage:
    """Objects in an S3-compatible bucket under a prefix, through obstore (imported only
    when this back end is used). Files go up in parts and come down in chunks; clients are
    sent to short-lived signed URLs instead of having the bytes pass through the app."""

    def __init__(self, *, bucket: str, prefix: str, settings: Settings) -> None:
        # Imported here, not at the top: a process storing files never loads it.
        from obstore.store import S3Store

        config: S3Config = {}
        client: ClientConfig = {"timeout": "300s", "connect_timeout": "5s"}
        endpoint = settings.s3_endpoint_url
        if endpoint:
            config["endpoint"] = endpoint
            client["allow_http"] = endpoint.startswith("http://")
        if settings.s3_region:
            config["region"] = settings.s3_region
        if settings.s3_access_key_id and settings.s3_secret_access_key:
            config["access_key_id"] = settings.s3_access_key_id
            config["secret_access_key"] = settings.s3_secret_access_key.get_secret_value()
        # Anything not set here comes from the standard AWS environment variables.
        self._store: S3Store = S3Store(
            bucket, prefix=prefix or None, config=config, client_options=client
        )
        self.spool_dir = Path(tempfile.gettempdir()) / S3_SPOOL_DIR
        self.spool_dir.mkdir(parents=True, exist_ok=True)

    def put_file(self, key: str, source: Path, *, content_type: str) -> None:
        import obstore

        obstore.put(
            self._store,
            check_key(key),
            source,
            attributes={"Content-Type": content_type},
            chunk_size=S3_PART_BYTES,
            max_concurrency=S3_PARTS_IN_FLIGHT,
        )
        _unlink_quietly(source)  # consumed, as the file back end's rename does

    def fetch_to(self, key: str, target: Path) -> None:
        import obstore

        try:
            result = obstore.get(self._store, check_key(key))
        except FileNotFoundError:  # obstore's NotFound is raised as Python's
            raise StorageKeyMissing(key) from None
        try:
            with target.open("wb") as writer:
                for chunk in result.stream(min_chunk_size=CHUNK_BYTES):
                    writer.write(chunk)
        except BaseException:
            _unlink_quietly(target)
            raise

    def delete(self, keys: Sequence[str]) -> None:
        import obstore

        checked = [check_key(key) for key in keys]
        if checked:
            obstore.delete(self._store, checked)  # S3 answers success for absent keys

    def stored_before(self, cutoff: datetime) -> Iterator[str]:
        import obstore

        for batch in obstore.list(self._store, chunk_size=1000):  # S3's page size
            for meta in batch:
                if meta["last_modified"] < cutoff:
                    yield meta["path"]

    def local_path(self, key: str) -> Path | None:
        check_key(key)
        return None

    def signed_url(self, key: str, *, expires_in: int, content_type: str) -> str | None:
        """A presigned GET; the object answers with the Content-Type it was stored with."""
        import obstore

        del content_type  # put_file stored it on the object
        return obstore.sign(self._store, "GET", check_key(key), timedelta(seconds=expires_in))


_cache: dict[str, MediaStorage] = {}
_cache_lock = threading.Lock()


def open_storage(settings: Settings) -> MediaStorage:
    """The storage `settings.media_storage` names, made once per distinct setting:
    `file:<directory>` (relative to the working directory) or `s3://bucket/prefix`."""
    spec = settings.media_storage
    cache_key = "\x00".join(
        str(part)
        for part in (
            spec,
            settings.s3_endpoint_url,
            settings.s3_region,
            settings.s3_access_key_id,
            settings.s3_secret_access_key.get_secret_value()
            if settings.s3_secret_access_key
            else None,
        )
    )
    with _cache_lock:
        storage = _cache.get(cache_key)
        if storage is None:
            storage = _build(settings)
            _cache[cache_key] = storage
        return storage


def _build(settings: Settings) -> MediaStorage:
    spec = settings.media_storage
    if spec.startswith("file:"):
        return FileStorage(Path(spec.removeprefix("file:")))
    if spec.startswith("s3://"):
        bucket, _, prefix = spec.removeprefix("s3://").partition("/")
        return S3Storage(bucket=bucket, prefix=prefix.strip("/"), settings=settings)
    raise ValueError(f"media_storage {spec!r} is neither file:<dir> nor s3://bucket/prefix")
