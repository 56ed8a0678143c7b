"""HTTP conditional requests: `ETag`, `If-None-Match` (304) and `If-Match` (412).

The ETag is a hash of the exact JSON the caller receives, so it changes whenever anything
they can see changes (a tally, a field only they may see) and two callers who see the same
bytes share it. Writes compare `If-Match` against the representation the caller would get
now, inside the write's transaction, after the row is locked.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

from app.core.errors import PreconditionFailed
from app.i18n import N_

JSON_MEDIA_TYPE = "application/json"


class EtagMismatch(PreconditionFailed):
    code = "etag_mismatch"


def render(model: BaseModel) -> bytes:
    return model.__pydantic_serializer__.to_json(model)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def _weakly_matches(header: str, etag: str) -> bool:
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in _tags(header))


def holds_current(request: Request, etag: str) -> bool:
    """Whether the caller's `If-None-Match` names this version (or `*`): a 304 will do."""
    if_none_match = request.headers.get("if-none-match")
    return if_none_match is not None and _weakly_matches(if_none_match, etag)


def json_response(
    request: Request,
    model: BaseModel,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The model as JSON with its ETag; a 304 when the caller already holds this version."""
    body = render(model)
    etag = etag_of(body)
    all_headers = {"ETag": etag, **(headers or {})}
    if status_code == 200 and holds_current(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, status_code=status_code, media_type=JSON_MEDIA_TYPE, headers=all_headers)


def require_current(request: Request, current: BaseModel) -> None:
    """Refuse a write whose `If-Match` names another version than the current one (412)."""
    if_match = request.headers.get("if-match")
    if not if_match:
        return
    etag = etag_of(render(current))
    # If-Match uses strong comparison (RFC 9110 §13.1.1): a weak tag never matches.
    if not any(tag in ("*", etag) for tag in _tags(if_match)):
        raise EtagMismatch(
            N_("The resource changed since you read it; fetch it again and reapply your change.")
        )


ETAG_HEADER: dict[str, Any] = {
    "ETag": {"description": "Version of this representation.", "schema": {"type": "string"}}
}
CONDITIONAL_GET_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"headers": ETAG_HEADER},
    304: {"description": "Not modified: the `If-None-Match` ETag is current."},
}
CONDITIONAL_WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"headers": ETAG_HEADER},
    412: {"description": "`If-Match` names a version that is no longer current."},
}
