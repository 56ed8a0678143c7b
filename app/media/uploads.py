"""Reading an upload as it arrives: the multipart body parsed chunk by chunk into a spool file.

Nothing of the file is kept in memory beyond the chunk in hand and its first `SNIFF_BYTES`:
each chunk of the `file` part is hashed (sha256), counted and written to a file in the
storage's spool directory. The type is decided from the first bytes (never the name or the
client's Content-Type): an unknown type is refused (415) before anything more is read, and
a file passing its kind's size limit is refused (413) as soon as it does. On any refusal,
disconnect or error the spool file is removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from app.i18n import N_
from app.media.exceptions import (
    InvalidUpload,
    MalformedUpload,
    MediaStorageUnavailable,
    MediaTooLarge,
    UnsupportedMediaType,
)
from app.media.sniff import SNIFF_BYTES, Detected, detect
from app.models import MediaKind

MIB = 1024 * 1024
ALT_TEXT_MAX_CHARS = 1000
_ALT_TEXT_MAX_BYTES = ALT_TEXT_MAX_CHARS * 4  # UTF-8: at most 4 bytes a character
# Headers of a part (Content-Disposition, Content-Type): a few, short.
_MAX_PART_HEADERS = 8
_MAX_PART_HEADER_BYTES = 4096
ACCEPTED = (
    "JPEG, PNG, WebP, GIF, HEIC/HEIF, MP3, OGG, WAV, M4A, MP4, WebM and PDF, "
    "recognised by their bytes"
)


@dataclass(frozen=True)
class Spooled:
    """An upload read whole into the spool: what the rest of the request works from."""

    path: Path
    size: int
    sha256: str
    kind: MediaKind
    content_type: str
    alt_text: str | None


def limits_of(
    *, image_mb: int, audio_mb: int, video_mb: int, document_mb: int
) -> dict[MediaKind, int]:
    return {
        MediaKind.IMAGE: image_mb * MIB,
        MediaKind.AUDIO: audio_mb * MIB,
        MediaKind.VIDEO: video_mb * MIB,
        MediaKind.DOCUMENT: document_mb * MIB,
    }


def boundary_of(content_type: str | None) -> bytes:
    """The multipart boundary of the request's Content-Type, or a 422 saying how to send."""
    kind, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary or len(boundary) > 200:
        raise InvalidUpload(
            N_("Send the file as multipart/form-data with a `file` field (and `alt_text`)."),
            loc=["body"],
        )
    return boundary


class _FilePart:
    """The `file` part: sniffed from its first bytes, then hashed, counted and written."""

    def __init__(self, spool_dir: Path, limits: Mapping[MediaKind, int]) -> None:
        self.limits = limits
        handle, name = tempfile.mkstemp(prefix="upload-", dir=spool_dir)
        self.path = Path(name)
        self.writer: IO[bytes] = os.fdopen(handle, "wb")
        self.head = bytearray()
        self.detected: Detected | None = None
        self.limit = 0
        self.size = 0
        self.hasher = hashlib.sha256()
        self.complete = False

    def feed(self, data: bytes) -> None:
        if self.detected is not None:
            self._write(data)
            return
        self.head += data
        if len(self.head) >= SNIFF_BYTES:
            self._decide()

    def end(self) -> None:
        if self.detected is None:
            self._decide()
        self.writer.close()
        self.complete = True

    def _decide(self) -> None:
        detected = detect(bytes(self.head[:SNIFF_BYTES]))
        if detected is None:
            raise UnsupportedMediaType(
                N_("This type of file is not accepted: send {accepted}."),
                values={"accepted": ACCEPTED},
            )
        self.detected = detected
        self.limit = self.limits[MediaKind(detected.kind)]
        head, self.head = bytes(self.head), bytearray()
        self._write(head)

    def _write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            assert self.detected is not None
            kind = MediaKind(self.detected.kind).value
            raise MediaTooLarge(
                N_("A {kind} file may be at most {limit} MiB; this one is larger."),
                values={"kind": kind, "limit": self.limit // MIB},
            )
        self.hasher.update(data)
        self.writer.write(data)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.writer.close()
        self.path.unlink(missing_ok=True)


class _Receiver:
    """The parser's callbacks: one part at a time, its headers, then its data."""

    def __init__(self, spool_dir: Path, limits: Mapping[MediaKind, int]) -> None:
        self.spool_dir = spool_dir
        self.limits = limits
        self.file: _FilePart | None = None
        self.alt_text: bytearray | None = None
        self.ended = False
        self._field = bytearray()
        self._value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._sink: Callable[[bytes], None] | None = None
        self._end_part: Callable[[], None] | None = None

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda d, s, e: self._field.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._value.extend(d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._sink = self._end_part = None

    def _header_end(self) -> None:
        self._headers[bytes(self._field).strip().lower()] = bytes(self._value).strip()
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name") if disposition == b"form-data" else None
        if name == b"file":
            if self.file is not None:
                raise InvalidUpload(N_("Send one file per upload."), loc=["body", "file"])
            self.file = _FilePart(self.spool_dir, self.limits)
            self._sink, self._end_part = self.file.feed, self.file.end
        elif name == b"alt_text":
            if self.alt_text is not None:
                raise InvalidUpload(N_("Send `alt_text` once."), loc=["body", "alt_text"])
            self.alt_text = bytearray()
            self._sink = self._alt_text_data
        else:
            shown = (name or b"").decode("utf-8", "replace")[:50]
            raise InvalidUpload(
                N_("Unknown form field {shown}: send `file` and optionally `alt_text`."),
                values={"shown": repr(shown)},
                loc=["body", shown],
            )

    def _alt_text_data(self, data: bytes) -> None:
        assert self.alt_text is not None
        self.alt_text += data
        if len(self.alt_text) > _ALT_TEXT_MAX_BYTES:
            raise _alt_text_too_long()

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._sink is None:
            raise MalformedUpload(N_("A multipart part has data before its headers."))
        self._sink(data[start:end])

    def _part_end(self) -> None:
        if self._end_part is not None:
            self._end_part()

    def _end(self) -> None:
        self.ended = True

    def result(self) -> Spooled:
        if not self.ended:
            raise MalformedUpload(N_("The body ended before the multipart's closing boundary."))
        if self.file is None or not self.file.complete:
            raise InvalidUpload(N_("The upload has no `file` field."), loc=["body", "file"])
        detected = self.file.detected
        assert detected is not None
        return Spooled(
            path=self.file.path,
            size=self.file.size,
            sha256=self.file.hasher.hexdigest(),
            kind=MediaKind(detected.kind),
            content_type=detected.content_type,
            alt_text=_alt_text(self.alt_text),
        )

    def discard(self) -> None:
        if self.file is not None:
            self.file.discard()


def _alt_text_too_long() -> InvalidUpload:
    return InvalidUpload(
        N_("`alt_text` may be at most {limit} characters."),
        values={"limit": ALT_TEXT_MAX_CHARS},
        loc=["body", "alt_text"],
    )


def _alt_text(raw: bytearray | None) -> str | None:
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise InvalidUpload(
            N_("`alt_text` must be UTF-8 text."), loc=["body", "alt_text"]
        ) from None
    if "\x00" in text:
        raise InvalidUpload(N_("`alt_text` must not contain NUL."), loc=["body", "alt_text"])
    if len(text) > ALT_TEXT_MAX_CHARS:
        raise _alt_text_too_long()
    return text or None


async def receive_upload(
    chunks: AsyncIterator[bytes],
    *,
    content_type: str | None,
    spool_dir: Path,
    limits: Mapping[MediaKind, int],
) -> Spooled:
    """Reads the multipart body from `chunks` into a spool file; the caller removes the file
    (`Spooled.path`) when done with it. Every refusal removes it here."""
    boundary = boundary_of(content_type)
    receiver = _Receiver(spool_dir, limits)
    parser = MultipartParser(
        boundary,
        callbacks=receiver.callbacks(),  # type: ignore[arg-type]
        max_header_count=_MAX_PART_HEADERS,
        max_header_size=_MAX_PART_HEADER_BYTES,
    )
    try:
        async for chunk in chunks:
            if chunk:
                parser.write(chunk)
            if receiver.ended:
                break
        return receiver.result()
    except FormParserError as error:
        receiver.discard()
        raise MalformedUpload(
            N_("The multipart body cannot be read: {error}"), values={"error": error}
        ) from None
    except OSError as error:  # the spool cannot be written (a full disk)
        receiver.discard()
        raise MediaStorageUnavailable(
            N_("The server cannot hold the upload right now; nothing was kept. Retry soon.")
        ) from error
    except BaseException:
        receiver.discard()
        raise
