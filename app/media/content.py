"""Serving a stored file: streamed from disk in pieces, with `ETag`, `If-None-Match` and a
single byte `Range`; or, with object storage, a redirect to a short-lived signed URL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio
from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from app.core.http import holds_current
from app.i18n import N_
from app.media.exceptions import RangeNotSatisfiable

CHUNK_BYTES = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class Served:
    """What to tell the client about the file besides its bytes."""

    content_type: str
    etag: str
    cache_control: str
    disposition: str


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one range `header` asks for, as (first, last) inclusive; None for the whole file
    (no header, several ranges or one this parser does not read: RFC 9110 lets a server
    ignore Range). A range starting past the end is a 416."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # the last N bytes
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(size)
        return max(0, size - suffix), size - 1
    first = int(first_text)
    if first >= size:
        raise _unsatisfiable(size)
    last = min(int(last_text), size - 1) if last_text else size - 1
    if last < first:
        return None
    return first, last


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(
        N_("The range asked for lies outside the file's {size} bytes."),
        values={"size": size},
        headers={"Content-Range": f"bytes */{size}"},
    )


async def _pieces(path: Path, first: int, length: int) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as reader:
        await reader.seek(first)
        left = length
        while left > 0:
            piece = await reader.read(min(CHUNK_BYTES, left))
            if not piece:
                return
            left -= len(piece)
            yield piece


def file_response(request: Request, path: Path, served: Served) -> Response:
    """The file's bytes (200), part of them (206), or a 304 when the caller holds them."""
    headers = {
        "ETag": served.etag,
        "Cache-Control": served.cache_control,
        "Content-Disposition": served.disposition,
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
    }
    if holds_current(request, served.etag):
        return Response(status_code=304, headers=headers)
    size = path.stat().st_size
    wanted = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != served.etag:
        wanted = None  # the caller's partial copy is of another version: send it whole
    chosen = byte_range(wanted, size)
    if chosen is None:
        headers["Content-Length"] = str(size)
        return StreamingResponse(
            _pieces(path, 0, size), media_type=served.content_type, headers=headers
        )
    first, last = chosen
    length = last - first + 1
    headers["Content-Length"] = str(length)
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return StreamingResponse(
        _pieces(path, first, length),
        status_code=206,
        media_type=served.content_type,
        headers=headers,
    )
