"""What a log-in tells about the client it began on: its `User-Agent`, made safe to store
and show, and a coarse description ("Firefox on Linux") a member recognises at a glance.

Coarse on purpose: a member telling their laptop from their phone needs the browser family
and the system, not versions; a finer fingerprint would be personal data kept for nothing."""

from __future__ import annotations

import re

USER_AGENT_MAX = 256
CLIENT_MAX = 64

# Control characters (C0, DEL, C1), line and paragraph separators and lone surrogates: a
# header is bytes decoded as Latin-1, and none of these belong in a list a member reads.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]+")

# First match wins, so a browser built on another (Edge and Opera on Chrome, Chrome on
# Safari's WebKit) is tested before the one whose token it also carries.
_BROWSERS: tuple[tuple[str, str], ...] = (
    (r"\bEdg(e|A|iOS)?/", "Edge"),
    (r"\bOPR/|\bOpera\b", "Opera"),
    (r"\bSamsungBrowser/", "Samsung Internet"),
    (r"\bFirefox/|\bFxiOS/", "Firefox"),
    (r"\bChrom(e|ium)/|\bCriOS/", "Chrome"),
    (r"\bVersion/[\d.]+.*\bSafari/", "Safari"),
    (r"^curl/", "curl"),
    (r"^python-httpx/", "Python httpx"),
    (r"^python-requests/", "Python requests"),
    (r"^okhttp/", "OkHttp"),
)
_SYSTEMS: tuple[tuple[str, str], ...] = (
    (r"\bAndroid\b", "Android"),
    (r"\b(iPhone|iPad|iPod)\b", "iOS"),
    (r"\bCrOS\b", "ChromeOS"),
    (r"\bWindows\b", "Windows"),
    (r"\bMac OS X\b|\bMacintosh\b", "macOS"),
    (r"\bLinux\b|\bX11\b", "Linux"),
)
_BROWSER_PATTERNS = tuple((re.compile(pattern), name) for pattern, name in _BROWSERS)
_SYSTEM_PATTERNS = tuple((re.compile(pattern), name) for pattern, name in _SYSTEMS)


def clean_user_agent(raw: str | None) -> str | None:
    """The header as stored: unprintable characters out, spaces collapsed, at most
    `USER_AGENT_MAX` characters; None when nothing is left."""
    if raw is None:
        return None
    cleaned = " ".join(_UNPRINTABLE.sub(" ", _as_utf8(raw)).split())
    return cleaned[:USER_AGENT_MAX] or None


def _as_utf8(header: str) -> str:
    """Headers arrive decoded as Latin-1; a client that sent UTF-8 (a device name with an
    accent) is shown as it meant, anything else as it came."""
    try:
        return header.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return header


def describe_client(user_agent: str | None) -> str | None:
    """ "Browser on system", either part alone when only one is recognised; None when
    neither is (the raw user agent is still listed)."""
    if not user_agent:
        return None
    browser = _first_match(_BROWSER_PATTERNS, user_agent)
    system = _first_match(_SYSTEM_PATTERNS, user_agent)
    if browser and system:
        return f"{browser} on {system}"[:CLIENT_MAX]
    return browser or system


def _first_match(patterns: tuple[tuple[re.Pattern[str], str], ...], text: str) -> str | None:
    return next((name for pattern, name in patterns if pattern.search(text)), None)
