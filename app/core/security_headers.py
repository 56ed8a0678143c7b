"""Security headers on every response, as the OWASP REST Security and HTTP Headers cheat
sheets advise, as pure ASGI middleware.

- API answers (JSON, problem+json, images, books, calendars) get the strictest policy: nothing
  may be loaded, framed or submitted from them (`default-src 'none'`), no MIME sniffing, no
  referrer, a window of their own.
- The HTML documentation pages (Swagger UI, ReDoc) need their own scripts and styles from
  this origin and one inline bootstrap script each. That script is allowed by its SHA-256
  hash, computed from the page as served (it embeds the spec URL and UI parameters), so no
  `'unsafe-inline'` is ever granted to scripts. Styles may be inline: both UIs inject them.
  They may connect to their own origin and to the configured public URL (the contract's first
  server when one is set), nothing else: the docs load nothing from outside.
- `Cache-Control: no-store` on every answer that did not set its own: answers to
  authenticated requests and errors carry private data or are useless to cache. Public,
  cacheable answers (share cards, published books) set `Cache-Control: public, …` themselves,
  unless the request was authenticated, in which case the answer stays private (`no-store`).
- HSTS on answers served over https (directly or through a proxy uvicorn trusts).
- A `Server` or `X-Powered-By` header set by the app is dropped (uvicorn's own `Server` header
  is switched off in `sanggar serve`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_DOCS_CSP = (
    "default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'{connect}; "
    "worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
BASELINE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
# As raw ASGI headers: an answer's few headers are filtered and extended in one pass each
# (Starlette's MutableHeaders scanned them again for every name: 20 µs of a 117 µs /healthz).
_BASELINE = [(name.lower().encode(), value.encode()) for name, value in BASELINE.items()]
_API_CSP = (b"content-security-policy", API_CSP.encode())
# Dropped from the app's answer: leaky (`Server`, `X-Powered-By`) or decided here.
_REPLACED = frozenset(
    {b"server", b"x-powered-by", b"cache-control", b"cross-origin-resource-policy"}
    | {b"strict-transport-security", b"content-security-policy"}
)
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def docs_csp(html: bytes, *, connect_to: str | None = None) -> str:
    """The policy for an HTML page: its inline scripts allowed by hash, nothing else inline;
    `connect_to` is one more origin its scripts may call (the configured public URL)."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    connect = f" {origin_of(connect_to)}" if connect_to else ""
    return _DOCS_CSP.format(hashes=hashes, connect=connect).replace("  ", " ")


def origin_of(url: str) -> str:
    """`https://api.example.org` of `https://api.example.org/sanggar/`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _is_authenticated(scope: Scope) -> bool:
    return any(name in (b"authorization", b"cookie") for name, _ in scope["headers"])


class SecurityHeadersMiddleware:
    """Adds the headers above; `hsts_max_age=0` turns HSTS off; `public_base_url` (when set)
    is an origin the documentation pages may call."""

    def __init__(
        self, app: ASGIApp, *, hsts_max_age: int, public_base_url: str | None = None
    ) -> None:
        self.app = app
        self.hsts_max_age = hsts_max_age
        self.public_base_url = public_base_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authenticated = _is_authenticated(scope)
        https = scope.get("scheme") == "https"
        html_start: Message | None = None
        html_body = b""

        async def send_with_headers(message: Message) -> None:
            nonlocal html_start, html_body
            if message["type"] == "http.response.start":
                given = message.get("headers", ())
                message["headers"] = self._secured(given, authenticated=authenticated, https=https)
                if dict(given).get(b"content-type", b"").startswith(b"text/html"):
                    html_start = message  # held back until the page is known
                    return
                message["headers"].append(_API_CSP)
            elif html_start is not None:
                # Documentation pages are a few kilobytes: gather them to hash their scripts.
                html_body += message.get("body", b"")
                if message.get("more_body", False):
                    return
                policy = docs_csp(html_body, connect_to=self.public_base_url)
                html_start["headers"].append((b"content-security-policy", policy.encode()))
                await send(html_start)
                message = {"type": "http.response.body", "body": html_body}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _secured(
        self, given: Iterable[tuple[bytes, bytes]], *, authenticated: bool, https: bool
    ) -> list[tuple[bytes, bytes]]:
        """The answer's headers (lower-case names, as ASGI has them) with the ones above."""
        headers = [(name, value) for name, value in given if name not in _REPLACED]
        names = {name for name, _ in headers}
        headers += [header for header in _BASELINE if header[0] not in names]
        cache = next((value for name, value in given if name == b"cache-control"), None)
        if cache is None or (authenticated and b"public" in cache):
            cache = b"no-store"
        # Public answers (share cards, books) may be embedded by other sites; the rest not.
        embeddable = b"cross-origin" if b"public" in cache else b"same-origin"
        headers += [(b"cache-control", cache), (b"cross-origin-resource-policy", embeddable)]
        if https and self.hsts_max_age > 0:
            hsts = f"max-age={self.hsts_max_age}; includeSubDomains"
            headers.append((b"strict-transport-security", hsts.encode()))
        return headers
