from __future__ import annotations

import pytest

from app.auth.clients import USER_AGENT_MAX, clean_user_agent, describe_client

AGENTS = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0": "Edge on Windows",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36": "Samsung Internet on Android",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36": "Chrome on Android",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari on iOS",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Safari/605.1.15": "Safari on macOS",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0": "Firefox on Linux",
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0": "Opera on ChromeOS",
    "curl/8.5.0": "curl",
    "python-httpx/0.28.1": "Python httpx",
    "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8)": "Android",
}


@pytest.mark.parametrize(("user_agent", "expected"), AGENTS.items())
def test_a_known_client_is_described_coarsely(user_agent: str, expected: str) -> None:
    assert describe_client(user_agent) == expected


@pytest.mark.parametrize("user_agent", [None, "", "SomethingNobodyKnows/1.0"])
def test_an_unknown_or_missing_client_has_no_description(user_agent: str | None) -> None:
    assert describe_client(user_agent) is None


def test_a_user_agent_is_stored_printable_one_line_and_bounded() -> None:
    cleaned = clean_user_agent("Firefox\x00/1\r\n\u2028 x\x9b" + "y" * 1000)
    assert cleaned is not None
    assert cleaned.startswith("Firefox /1 x y")
    assert len(cleaned) == USER_AGENT_MAX
    assert clean_user_agent(" \t\x01 ") is None
    assert clean_user_agent(None) is None


def test_a_user_agent_sent_in_utf8_is_read_as_utf8() -> None:
    as_received = "Sanggar/1.0 (Ponsel Ayú)".encode().decode("latin-1")
    assert clean_user_agent(as_received) == "Sanggar/1.0 (Ponsel Ayú)"
    assert clean_user_agent("caf\xe9/1") == "caf\xe9/1"  # Latin-1, not UTF-8: kept as is
