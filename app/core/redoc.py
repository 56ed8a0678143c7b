"""ReDoc (/redoc) served so that it loads nothing from outside this server.

The ReDoc bundle fastapi-offline ships renders "API docs by Redocly" with an image fetched
from cdn.redoc.ly at run time, and has no option to turn it off. The page's CSP would block
the request, but a closed network must not even be tried: the bundle is served here with that
one URL replaced by an empty inline image, read once from the installed package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html
from starlette.responses import HTMLResponse, Response

REDOC_URL = "/redoc"
BUNDLE_URL = "/redoc.offline.js"
FAVICON_URL = "/static-offline-docs/favicon.png"
REDOCLY_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
# An SVG with nothing in it: the attribution link keeps its text and loses only the image.
EMPTY_IMAGE = b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"
_BUNDLE = Path(fastapi_offline.__file__).parent / "static" / "redoc.standalone.js"

router = APIRouter(include_in_schema=False)


@cache
def offline_bundle() -> bytes:
    bundle = _BUNDLE.read_bytes()
    if REDOCLY_LOGO not in bundle:
        # A new ReDoc may fetch something else: the browser test would say what.
        return bundle
    return bundle.replace(REDOCLY_LOGO, EMPTY_IMAGE)


@router.get(REDOC_URL)
async def redoc_page(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    openapi_url = request.app.openapi_url
    return get_redoc_html(
        openapi_url=f"{root}{openapi_url}",
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{root}{BUNDLE_URL}",
        redoc_favicon_url=f"{root}{FAVICON_URL}",
        with_google_fonts=False,
    )


@router.get(BUNDLE_URL)
async def redoc_bundle() -> Response:
    return Response(offline_bundle(), media_type="text/javascript")
