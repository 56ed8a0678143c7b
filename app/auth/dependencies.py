"""Checks on the auth requests themselves, before any credential is looked at."""

from __future__ import annotations

from fastapi import Depends, Request

from app.core.errors import Unprocessable
from app.core.openapi import declares
from app.i18n import N_

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@declares(422)
async def form_body(request: Request) -> None:
    """The log-in is an OAuth2 password form: a JSON body would otherwise be told only that
    `username` and `password` are missing, which sends a developer looking in the wrong place."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and media_type not in FORM_TYPES:
        raise Unprocessable(
            N_(
                "POST /api/v1/auth/token takes a form (Content-Type: "
                "application/x-www-form-urlencoded) with `username` and `password`, "
                "not {media_type}; the other auth endpoints take JSON."
            ),
            values={"media_type": media_type},
            loc=["header", "content-type"],
        )


FormBody = Depends(form_body)
