"""One HTTP attempt: signed, bounded in time and size, never following a redirect.

Unless private targets are allowed, the host is resolved and checked right before the
request (app/webhooks/safety.py) and the connection goes to the checked address, with the
original host in `Host` and in TLS (SNI and certificate check), so a DNS answer that changes
after the check cannot point the request elsewhere.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.core.config import Settings
from app.webhooks import safety, signing

if TYPE_CHECKING:  # imported where a request is made: 2.9 MiB a worker that sends none never loads
    import httpx

USER_AGENT = "Sanggar-Webhooks/1"
RESPONSE_BODY_LIMIT = 4096  # bytes of the response kept in the delivery log
ERROR_LIMIT = 500


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    error: str | None
    response_body: str
    # The response's `Retry-After` header, as sent (kept for transports that honour it).
    retry_after_header: str | None = None
    # Seconds the receiver asked us to wait before the next attempt (a chat platform's
    # 429); the next attempt is not before then. Webhooks leave it None.
    retry_after: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def headers_for(
    *, secret: str, body: bytes, event_type: str, delivery_id: str, timestamp: int
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Sanggar-Event": event_type,
        "Sanggar-Delivery": delivery_id,
        "Sanggar-Signature": signing.signature(secret, timestamp, body),
    }


def _clean(text: str, limit: int) -> str:
    # PostgreSQL refuses NUL in text; a receiver may send anything back.
    return text.replace("\x00", "\ufffd")[:limit]


def _request(url: str, settings: Settings) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """Where to connect, with the extra headers and extensions that keep the original host."""
    import httpx

    target = httpx.URL(url)
    if settings.webhooks_allow_private:
        return target, {}, {}
    checked = safety.public_target(url)
    default_port = 443 if target.scheme == "https" else 80
    host_header = checked.host if checked.port == default_port else f"{checked.host}:{checked.port}"
    extensions = {"sni_hostname": checked.host} if target.scheme == "https" else {}
    return target.copy_with(host=str(checked.address)), {"Host": host_header}, extensions


def send(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    settings: Settings,
    method: str = "POST",
    check_address: bool = True,
) -> Outcome:
    """One request. `check_address=False` skips the address rules, for a URL the operator
    configured (a chat bridge's `SANGGAR_CHAT_BRIDGE_BASE_URLS`)."""
    import httpx

    started = time.monotonic()
    retry_after: list[str | None] = [None]

    def done(status: int | None, error: str | None, text: str = "") -> Outcome:
        elapsed = int((time.monotonic() - started) * 1000)
        cleaned = _clean(error, ERROR_LIMIT) if error else None
        return Outcome(status, elapsed, cleaned, text, retry_after_header=retry_after[0])

    try:
        if check_address:
            target, extra_headers, extensions = _request(url, settings)
        else:
            target, extra_headers, extensions = httpx.URL(url), {}, {}
    except safety.UnsafeUrl as error:
        return done(None, f"refused: {error}")
    timeout = httpx.Timeout(
        connect=settings.webhook_connect_timeout_seconds,
        read=settings.webhook_read_timeout_seconds,
        write=settings.webhook_read_timeout_seconds,
        pool=settings.webhook_connect_timeout_seconds,
    )
    # trust_env=False: no proxy or netrc from the environment may reroute or decorate requests.
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        try:
            request = client.build_request(
                method,
                target,
                content=body,
                # identity: the logged body is the bytes that came, never a decompressed bomb.
                headers={**headers, **extra_headers, "Accept-Encoding": "identity"},
                extensions=extensions,
            )
            response = client.send(request, stream=True)
            retry_after[0] = _clean(response.headers.get("Retry-After", ""), 100) or None
            # The read timeout bounds each read; this bounds a body dribbled byte by byte.
            deadline = started + _longest(settings)
            try:
                kept, complete = _read_capped(response, deadline=deadline)
            finally:
                response.close()
        except httpx.TimeoutException as timeout_error:
            return done(None, f"timeout: {type(timeout_error).__name__}")
        except httpx.HTTPError as http_error:
            return done(None, f"{type(http_error).__name__}: {http_error}")
    text = _clean(kept.decode("utf-8", errors="replace"), RESPONSE_BODY_LIMIT)
    if response.is_redirect:
        return done(response.status_code, "redirect not followed", text)
    return done(response.status_code, None if complete else "response body too slow", text)


def _longest(settings: Settings) -> float:
    return settings.webhook_connect_timeout_seconds + 2 * settings.webhook_read_timeout_seconds


def _read_capped(response: httpx.Response, *, deadline: float) -> tuple[bytes, bool]:
    """At most the cap, read until the deadline; and whether the read ended in time."""
    kept = bytearray()
    for chunk in response.iter_raw():
        kept.extend(chunk)
        if len(kept) >= RESPONSE_BODY_LIMIT:
            break
        if time.monotonic() > deadline:
            return bytes(kept), False
    return bytes(kept[:RESPONSE_BODY_LIMIT]), True
