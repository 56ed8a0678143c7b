"""An S3 protocol server for the tests: moto's, plus the checks of presigned URLs that
real S3 makes and moto leaves out (a wrong signature or an expired URL is 403).

Run as a script, not imported by the tests: `python s3_server.py PORT ACCESS_KEY SECRET`.
Requests carrying an Authorization header pass unchanged to moto (it accepts any).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _expected_signature(environ: dict[str, Any], query: list[tuple[str, str]], secret: str) -> str:
    """AWS Signature Version 4 of a presigned request (query-string authentication)."""
    params = dict(query)
    canonical_query = "&".join(
        f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}"
        for name, value in sorted(query)
        if name != "X-Amz-Signature"
    )
    signed = params["X-Amz-SignedHeaders"].split(";")
    headers = "".join(
        f"{name}:{environ.get('HTTP_' + name.upper().replace('-', '_'), '').strip()}\n"
        for name in signed
    )
    canonical = "\n".join(
        [
            environ["REQUEST_METHOD"],
            quote(environ["PATH_INFO"], safe="/-_.~"),
            canonical_query,
            headers,
            ";".join(signed),
            "UNSIGNED-PAYLOAD",
        ]
    )
    _, day, region, service, terminator = params["X-Amz-Credential"].split("/")
    scope = f"{day}/{region}/{service}/{terminator}"
    to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            params["X-Amz-Date"],
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = _hmac(("AWS4" + secret).encode(), day)
    for part in (region, service, terminator):
        key = _hmac(key, part)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def _refusal(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode()


def presigned_checks(app: WsgiApp, access_key: str, secret: str) -> WsgiApp:
    def checked(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        params = dict(query)
        if "X-Amz-Signature" not in params:
            return app(environ, start_response)
        refusal: bytes | None = None
        signed_at = datetime.strptime(params.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ")
        expires = signed_at.replace(tzinfo=UTC) + timedelta(seconds=int(params["X-Amz-Expires"]))
        if params["X-Amz-Credential"].split("/")[0] != access_key:
            refusal = _refusal("InvalidAccessKeyId", "The access key is not known.")
        elif not hmac.compare_digest(
            params["X-Amz-Signature"], _expected_signature(environ, query, secret)
        ):
            refusal = _refusal("SignatureDoesNotMatch", "The signature does not match.")
        elif datetime.now(UTC) > expires:
            refusal = _refusal("AccessDenied", "Request has expired")
        if refusal is None:
            return app(environ, start_response)
        start_response("403 Forbidden", [("Content-Type", "application/xml")])
        return [refusal]

    return checked


def main() -> None:
    port, access_key, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    os.environ["MOTO_PORT"] = str(port)  # moto builds some URLs from it
    app = presigned_checks(DomainDispatcherApplication(create_backend_app), access_key, secret)
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    server.serve_forever()


if __name__ == "__main__":
    main()
