"""`GET /problems/{code}`: what a problem's `type` URI names, from the catalogue the errors
are titled from. HTML for a browser, JSON for everything else; nothing loaded from outside
(the service must work on a closed network)."""

from __future__ import annotations

import html
import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Path, Request, Response

from app.core.errors import NotFound
from app.core.openapi import problems
from app.core.pagination import PageParamsDep, paginate_catalogue
from app.core.problem_catalogue import CATALOGUE, ProblemType
from app.core.routing import ResourceRouter
from app.i18n import N_
from app.problems.schemas import ProblemDescription, ProblemDescriptionPage

router = ResourceRouter(prefix="/problems", tags=["problems"])

HTML_MEDIA_TYPE = "text/html"
_HTML_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {HTML_MEDIA_TYPE: {"schema": {"type": "string"}}}}
}
# The catalogue changes only with a new release.
_HEADERS = {"Cache-Control": "public, max-age=3600", "Vary": "Accept"}

Code = Annotated[str, Path(max_length=64, description="A problem's `code`.")]


@router.get(
    "",
    response_model=ProblemDescriptionPage,
    summary="List the problem codes",
    responses=_HTML_RESPONSES,
)
async def problems_list(request: Request, page: PageParamsDep) -> Response:
    """Every `code` the API can answer with, with its status, title and meaning."""
    types, next_cursor = paginate_catalogue(
        list(CATALOGUE.values()), key=lambda t: t.code, params=page
    )
    if _wants_html(request):
        return _html(_index_page(types, next_cursor))
    body = ProblemDescriptionPage(items=[_describe(t) for t in types], next_cursor=next_cursor)
    return Response(body.model_dump_json(), media_type="application/json", headers=_HEADERS)


@router.get(
    "/{code}",
    response_model=ProblemDescription,
    summary="Describe a problem code",
    responses=_HTML_RESPONSES | problems(404),
)
async def problems_get(request: Request, code: Code) -> Response:
    """What a problem's `type` URI names: the status, title and meaning of its `code`."""
    problem_type = CATALOGUE.get(code)
    if problem_type is None:
        raise NotFound(N_("No problem has the code {code}."), values={"code": repr(code)})
    if _wants_html(request):
        return _html(_problem_page(problem_type))
    body = _describe(problem_type).model_dump_json()
    return Response(body, media_type="application/json", headers=_HEADERS)


def _describe(problem_type: ProblemType) -> ProblemDescription:
    return ProblemDescription(
        code=problem_type.code,
        status=problem_type.status,
        title=problem_type.title,
        description=problem_type.description,
    )


def _quality(accept: str, media_types: tuple[str, ...]) -> float:
    """The highest `q` the Accept header gives any of `media_types` (0 when none)."""
    best = 0.0
    for part in accept.split(","):
        media_type, *parameters = (piece.strip() for piece in part.split(";"))
        if media_type.lower() not in media_types:
            continue
        q = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best = max(best, q)
    return best


def _wants_html(request: Request) -> bool:
    """A browser asks for text/html before anything else; curl and clients do not."""
    accept = request.headers.get("accept", "")
    html_q = _quality(accept, (HTML_MEDIA_TYPE,))
    json_q = _quality(accept, ("application/json", "application/problem+json", "*/*"))
    return html_q > 0 and html_q >= json_q


def _html(page: str) -> Response:
    return Response(page, media_type=HTML_MEDIA_TYPE, headers=_HEADERS)


_CODE_SPAN = re.compile(r"`([^`]+)`")
_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;"
    "color:#1b1b1b}code{background:#f0f0f0;padding:0 .2em;border-radius:3px}"
    "dt{font-weight:600;margin-top:1rem}.status{color:#666}"
)


def _prose(text: str) -> str:
    """Escaped text with the catalogue's `code spans` as <code>."""
    return _CODE_SPAN.sub(r"<code>\1</code>", html.escape(text))


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def _problem_page(problem_type: ProblemType) -> str:
    return _document(
        f"{problem_type.title} ({problem_type.code})",
        f"<h1>{html.escape(problem_type.title)}</h1>"
        f'<p class="status">HTTP {problem_type.status} · code '
        f"<code>{html.escape(problem_type.code)}</code></p>"
        f"<p>{_prose(problem_type.description)}</p>"
        '<p><a href="../problems">Every problem code</a></p>',
    )


def _index_page(types: list[ProblemType], next_cursor: str | None) -> str:
    entries = "".join(
        f'<dt><a href="problems/{quote(t.code)}"><code>{html.escape(t.code)}</code></a> '
        f'<span class="status">{t.status}</span></dt><dd>{html.escape(t.title)}</dd>'
        for t in types
    )
    more = f'<p><a href="problems?cursor={quote(next_cursor)}">More</a></p>' if next_cursor else ""
    return _document("Problem codes", f"<h1>Problem codes</h1><dl>{entries}</dl>{more}")
