"""Server-side request forgery: private targets are refused at registration and at send time,
and no traffic reaches them."""

from __future__ import annotations

import ipaddress
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.core.config import Settings
from app.models import Member, WebhookAttempt
from app.webhooks import dispatcher, safety
from tests.factories import auth_headers, make_member
from tests.webhooks.conftest import Receiver, make_webhook

WEBHOOKS = "/api/v1/webhooks"
REFUSED = [
    "http://10.0.0.1/",
    "http://localhost/",
    "http://169.254.169.254/latest/meta-data",
    "http://[::ffff:127.0.0.1]:8000/",
    "http://0.0.0.0/",
    "https://[fd00::1]/",
    "http://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 around 169.254.169.254
]

# Every IPv6 form that carries an IPv4 address, around a public and a private one: the carried
# address decides (Teredo carries two, its client XOR-ed with ones).
EMBEDDED_IPV4 = [
    # (form, address, public)
    ("IPv4-mapped", "::ffff:8.8.8.8", True),
    ("IPv4-mapped", "::ffff:127.0.0.1", False),
    ("IPv4-compatible", "::8.8.8.8", True),
    ("IPv4-compatible", "::127.0.0.1", False),
    ("IPv4-compatible", "::10.0.0.1", False),
    ("IPv4-translated", "::ffff:0:8.8.8.8", True),
    ("IPv4-translated", "::ffff:0:127.0.0.1", False),
    ("6to4", "2002:808:808::1", True),
    ("6to4", "2002:7f00:1::", False),
    ("6to4", "2002:a9fe:a9fe::1", False),
    ("6to4", "2002:c0a8:101::1", False),
    ("NAT64", "64:ff9b::8.8.8.8", True),
    ("NAT64", "64:ff9b::127.0.0.1", False),
    ("NAT64", "64:ff9b::192.168.1.1", False),
    ("NAT64 local use", "64:ff9b:1::8.8.8.8", False),
    ("NAT64 local use", "64:ff9b:1:7f00:1::", False),
    ("Teredo, both public", "2001:0:4136:e378:8000:63bf:f7f7:f7f7", True),
    ("Teredo, client 127.0.0.1", "2001:0:4136:e378:8000:63bf:80ff:fffe", False),
    ("Teredo, client 10.0.0.1", "2001:0:4136:e378:8000:63bf:f5ff:fffe", False),
    ("Teredo, server 127.0.0.1", "2001:0:7f00:1:8000:63bf:f7f7:f7f7", False),
    ("plain IPv6", "2606:2800:220:1:248:1893:25c8:1946", True),
    ("loopback", "::1", False),
    ("unspecified", "::", False),
]


@pytest.fixture
def no_traffic(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """Every request that would leave the process, recorded instead of sent."""
    sent: list[httpx.Request] = []

    def handle(_transport: Any, request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, text="ok")

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle)
    return sent


@pytest.mark.parametrize("url", REFUSED)
def test_private_loopback_and_link_local_urls_are_refused_at_registration(
    client: TestClient, admin: Member, app: FastAPI, url: str, no_traffic: list[httpx.Request]
) -> None:
    response = client.post(
        WEBHOOKS, json={"url": url, "events": ["member.joined"]}, headers=auth_headers(app, admin)
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "webhook_url_not_allowed"
    assert response.json()["errors"][0]["loc"] == ["body", "url"]
    assert no_traffic == []


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "240.0.0.1",
    ],
)
def test_non_public_addresses_are_not_public(address: str) -> None:
    assert not safety.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_are_public(address: str) -> None:
    assert safety.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(("form", "address", "public"), EMBEDDED_IPV4)
def test_an_address_carrying_ipv4_is_judged_by_the_ipv4_it_carries(
    form: str, address: str, public: bool
) -> None:
    assert safety.is_public(ipaddress.ip_address(address)) is public, form


@pytest.mark.parametrize(("form", "address", "public"), EMBEDDED_IPV4)
def test_a_url_with_an_address_carrying_ipv4_is_checked_like_the_address(
    form: str, address: str, public: bool
) -> None:
    url = f"http://[{address}]:8080/hook"
    if public:
        assert safety.public_target(url).address == ipaddress.ip_address(address), form
    else:
        with pytest.raises(safety.UnsafeUrl, match="webhooks may only call public addresses"):
            safety.public_target(url)


def test_a_host_resolving_to_any_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    addresses = [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.5")]
    monkeypatch.setattr(safety, "resolve", lambda _host, _port: addresses)
    with pytest.raises(safety.UnsafeUrl, match=r"10\.0\.0\.5"):
        safety.public_target("https://mixed.example.org/hook")


def test_an_unresolvable_host_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(_host: str, _port: int) -> list[safety.IPAddress]:
        raise OSError("no such host")

    monkeypatch.setattr(safety, "resolve", fail)
    with pytest.raises(safety.UnsafeUrl, match="does not resolve"):
        safety.public_target("https://nowhere.invalid/")


def test_send_time_check_refuses_a_private_target_and_sends_nothing(
    app: FastAPI,
    engine: Engine,
    receiver: Receiver,
    dispatch_settings: Settings,
    settings: Settings,
    admin: Member,
) -> None:
    # Registered while private targets were allowed; the setting is off when sending.
    make_webhook(app, dispatch_settings, admin, url=receiver.url, events=["member.joined"])
    make_member(app)

    with Session(engine) as session:
        dispatcher.dispatch(session, settings)
        [attempt] = session.exec(select(WebhookAttempt)).all()

    assert receiver.requests == []  # a real listener on 127.0.0.1 heard nothing
    assert attempt.status_code is None
    assert attempt.error is not None and attempt.error.startswith("refused:")


def test_the_connection_goes_to_the_checked_address_with_the_original_host(
    app: FastAPI,
    engine: Engine,
    settings: Settings,
    admin: Member,
    public_dns: list[str],
    no_traffic: list[httpx.Request],
) -> None:
    make_webhook(
        app, settings, admin, url="https://bot.example.org:8443/hook", events=["member.joined"]
    )
    make_member(app)

    with Session(engine) as session:
        dispatcher.dispatch(session, settings)

    [request] = no_traffic
    assert request.url.host == "93.184.216.34" and request.url.port == 8443
    assert request.url.path == "/hook"
    assert request.headers["Host"] == "bot.example.org:8443"
    assert request.extensions["sni_hostname"] == "bot.example.org"
    assert public_dns == ["bot.example.org", "bot.example.org"]  # at registration and send


def test_an_ipv6_target_is_connected_to_by_its_address(
    app: FastAPI,
    engine: Engine,
    settings: Settings,
    admin: Member,
    monkeypatch: pytest.MonkeyPatch,
    no_traffic: list[httpx.Request],
) -> None:
    address = ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946")
    monkeypatch.setattr(safety, "resolve", lambda _host, _port: [address])
    make_webhook(app, settings, admin, url="https://v6.example.org/hook", events=["member.joined"])
    make_member(app)

    with Session(engine) as session:
        dispatcher.dispatch(session, settings)

    [request] = no_traffic
    assert request.url.host == str(address) and request.headers["Host"] == "v6.example.org"


def test_a_host_that_is_no_valid_name_is_refused_at_registration(
    client: TestClient, admin: Member, app: FastAPI, no_traffic: list[httpx.Request]
) -> None:
    """Found by schemathesis: `hTTp://¤` passed URL validation and httpx's IDNA check raised."""
    response = client.post(
        WEBHOOKS,
        json={"url": "hTTp://\u00a4", "events": ["member.joined"]},
        headers=auth_headers(app, admin),
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "webhook_url_not_allowed"
    assert no_traffic == []
