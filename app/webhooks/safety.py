"""Where a webhook may point: never into the app's own network (server-side request forgery).

A URL is refused when its host resolves to any private, loopback, link-local, multicast,
reserved or unspecified address (IPv4-mapped IPv6 addresses are judged as the IPv4 address
they carry). The check runs at registration (422) and again before every send, and the
sender then connects to the very address that was checked, so a DNS answer that changes in
between (DNS rebinding) cannot redirect a delivery. `SANGGAR_WEBHOOKS_ALLOW_PRIVATE=true`
lifts the rule, for receivers on a closed network and for tests.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(Exception):
    """The URL's host is not a public address (or does not resolve)."""


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    address: IPAddress


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (tests replace this to stay off the network)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _literal(host: str) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        return []


def public_target(url: str) -> Target:
    """The checked address to connect to for `url`; raises UnsafeUrl when there is none."""
    try:
        parsed = httpx.URL(url)
        host, port = parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80)
    except (httpx.InvalidURL, UnicodeError) as error:  # a host that is no IDNA name: "http://¤"
        raise UnsafeUrl(f"The URL is not valid: {error}.") from error
    try:
        addresses = _literal(host) or resolve(host, port)
    except (OSError, UnicodeError, ValueError) as error:
        raise UnsafeUrl(f"The host {host!r} does not resolve.") from error
    if not addresses:
        raise UnsafeUrl(f"The host {host!r} does not resolve.")
    refused = [a for a in addresses if not is_public(a)]
    if refused:
        raise UnsafeUrl(
            f"The host {host!r} resolves to {refused[0]}, a private, loopback or link-local "
            "address; webhooks may only call public addresses."
        )
    return Target(host=host, port=port, address=addresses[0])
