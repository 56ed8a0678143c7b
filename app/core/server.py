"""The HTTP/1.1 protocol `sanggar serve` runs: uvicorn's httptools protocol with bounds.

uvicorn reads a request's line and headers without limit of size or time: a 64 MiB header
was read whole, and a client that sends its headers a byte at a time (or opens a connection
and sends nothing) holds the connection for ever. Its `h11_max_incomplete_event_size` bounds
only the slower h11 parser, and its `timeout_keep_alive` only the wait between requests.
Here a request's target longer than `max_url_bytes` is answered 414, headers over
`max_header_bytes` 431, and a request line and headers not complete within
`header_timeout_seconds` of the connection opening (or of the request's first byte) 408,
each as problem+json before the connection is closed. The body's time is bounded in the app
(app.core.middleware.BodyLimitMiddleware), where the answer can still be a problem.

What uvicorn answers itself stays plain text: a request httptools cannot parse at all is its
400 "Invalid HTTP request received." (the parser stops at the first byte it refuses, before
any request exists to answer as the app would).
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app import i18n
from app.core.config import Settings, get_settings
from app.core.errors import (
    PROBLEM_MEDIA_TYPE,
    PROBLEM_PATH,
    HeadersTooLarge,
    ProblemError,
    RequestTimeout,
    UriTooLong,
)
from app.core.jsonutil import dumps


class _Refused(httptools.HttpParserError):
    """Raised from a parser callback (uvicorn catches parser errors, this one included, and
    answers them through `send_400_response`, which answers the refusal instead)."""

    def __init__(self, error: ProblemError) -> None:
        super().__init__(error.detail)
        self.error = error


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing request lines and headers that are too long
    or too slow (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = _settings()
        self.max_url_bytes = settings.max_url_bytes
        self.max_header_bytes = settings.max_header_bytes
        self.header_timeout = settings.header_timeout_seconds
        self.public_base_url = settings.public_base_url
        self.locale = settings.default_locale  # before a request: no member, no Accept-Language
        self.header_bytes = 0
        self.header_timer: asyncio.TimerHandle | None = None
        self.refusal: _Refused | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_timer()  # a connection that sends nothing is a slow request too

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.header_bytes = 0
        if self.header_timer is None:
            self._start_header_timer()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.max_url_bytes:
            self._refuse(
                UriTooLong(
                    i18n.N_("The request's target is longer than {limit} bytes."),
                    values={"limit": self.max_url_bytes},
                )
            )

    def on_header(self, name: bytes, value: bytes) -> None:
        # httptools may hand a header over in pieces; each piece counts as it comes.
        self.header_bytes += len(name) + len(value)
        if self.header_bytes > self.max_header_bytes:
            self._refuse(
                HeadersTooLarge(
                    i18n.N_("The request's headers are larger than {limit} bytes."),
                    values={"limit": self.max_header_bytes},
                )
            )
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._stop_header_timer()
        super().on_headers_complete()

    def _refuse(self, error: ProblemError) -> None:
        """Stops the parser; uvicorn then calls `send_400_response`, which answers this."""
        self.refusal = _Refused(error)
        raise self.refusal

    def send_400_response(self, msg: str) -> None:
        refusal, self.refusal = self.refusal, None
        if refusal is None:
            super().send_400_response(msg)
            return
        self._answer_and_close(refusal.error)

    def _start_header_timer(self) -> None:
        self.header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _stop_header_timer(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _headers_too_slow(self) -> None:
        self.header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request is being answered: its body's time is the app's to bound
        self._answer_and_close(
            RequestTimeout(
                i18n.N_("The request's line and headers did not arrive within {seconds} seconds."),
                values={"seconds": f"{self.header_timeout:g}"},
            )
        )

    def _answer_and_close(self, error: ProblemError) -> None:
        """The problem, as the app would answer it (absolute `type` when the public URL is
        set, else relative: no request's host to build it from), and the connection closed."""
        problem = error.to_problem()
        body = problem.model_dump()
        body["type"] = (self.public_base_url or "").rstrip("/") + PROBLEM_PATH + problem.code
        body["title"] = i18n.gettext(self.locale, problem.title)
        body["detail"] = i18n.translate(self.locale, error.message, error.values)
        content = dumps(body)
        head = (
            f"HTTP/1.1 {problem.status} {HTTPStatus(problem.status).phrase}\r\n"
            f"content-type: {PROBLEM_MEDIA_TYPE}\r\n"
            f"content-length: {len(content)}\r\n"
            "cache-control: no-store\r\n"
            # Answered before the app, so without its security headers but this one.
            "x-content-type-options: nosniff\r\n"
            "connection: close\r\n\r\n"
        )
        self.transport.write(head.encode("ascii") + content)
        self.transport.close()


def _settings() -> Settings:
    return get_settings()
